import type { Secret } from "../config/secret.js";
import { githubClient } from "./github-identity.js";
import { RotationFailed } from "./rotation-errors.js";
import type { SecretStore } from "./secret-store.js";
import { sealBox } from "./sealed-box.js";

/**
 * A repository's Actions secret: the token is sealed with the repository's public key (as GitHub
 * requires) and written through Octokit, authenticated with the new token itself (it needs
 * Secrets: write). GitHub never gives a secret back, so this store cannot be read back.
 */
export class GithubActionsStore implements SecretStore {
  readonly name: string;

  constructor(private readonly apiUrl: string, private readonly repository: string, private readonly secret: string) {
    this.name = `github-actions ${repository} ${secret}`;
  }

  async write(token: Secret): Promise<void> {
    const [owner, repo] = this.repository.split("/");
    const octokit = await githubClient(this.apiUrl, token.reveal());
    try {
      const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
      const sealed = sealBox(new TextEncoder().encode(token.reveal()), Buffer.from(key.key, "base64"));
      await octokit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo,
        secret_name: this.secret,
        encrypted_value: Buffer.from(sealed).toString("base64"),
        key_id: key.key_id,
      });
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new RotationFailed(
        `${this.name}: ${status ? `GitHub answered ${status} (the token needs Secrets: write on ${this.repository})` : `cannot reach ${this.apiUrl}`}`,
        "store-failed",
      );
    }
  }
}
