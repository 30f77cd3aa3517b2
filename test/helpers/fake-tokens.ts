/**
 * Token-shaped fakes for tests, assembled at run time so that the secret scanner (which reads the
 * source) is not fooled into flagging them, and no test ever holds a real secret.
 */
export const FAKE_GITHUB_TOKEN = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789";
