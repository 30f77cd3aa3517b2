/**
 * Turns a Telegram HTML message into text for a terminal: bold and italics as ANSI styles (when
 * colours are on), links as "text (url)", tags dropped, entities decoded.
 */
export function htmlToTerminal(htmlText: string, colours: boolean): string {
  const style = (code: string) => (colours ? `\u001b[${code}m` : "");
  return htmlText
    .replace(/<a\s+href="([^"]*)">([\s\S]*?)<\/a>/g, (_m, href: string, text: string) => `${text} (${href})`)
    .replace(/<(b|strong)>/g, style("1"))
    .replace(/<\/(b|strong)>/g, style("22"))
    .replace(/<(i|em)>/g, style("3"))
    .replace(/<\/(i|em)>/g, style("23"))
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&");
}
