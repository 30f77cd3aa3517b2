/**
 * A problem with the settings or the environment that the user must fix. Each problem is one line
 * that names where it is (`gaia.yml:14 services[1].match` or `.private/.env TELEGRAM_API_ROOT`),
 * what is wrong and how to fix it. The CLI prints the lines and exits with code 2.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}
