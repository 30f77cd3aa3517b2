import nacl from "tweetnacl";
import { blake2b } from "blakejs";

/**
 * libsodium's `crypto_box_seal`, which GitHub requires for Actions secrets: an ephemeral X25519
 * key pair, the nonce blake2b(ephemeral public key ‖ recipient key, 24 bytes), XSalsa20-Poly1305;
 * the output is the ephemeral public key followed by the box. Node's crypto has neither cipher
 * nor a 24-byte blake2b, hence tweetnacl and blakejs.
 */
export function sealBox(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const ephemeral = nacl.box.keyPair();
  const nonce = blake2b(concat(ephemeral.publicKey, recipientPublicKey), undefined, nacl.box.nonceLength);
  const box = nacl.box(message, nonce, recipientPublicKey, ephemeral.secretKey);
  return concat(ephemeral.publicKey, box);
}

/** Opens a sealed box (the other side, for tests and fakes); null when it does not open. */
export function openSealedBox(sealed: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | null {
  const ephemeralPublicKey = sealed.subarray(0, nacl.box.publicKeyLength);
  const nonce = blake2b(concat(ephemeralPublicKey, publicKey), undefined, nacl.box.nonceLength);
  return nacl.box.open(sealed.subarray(nacl.box.publicKeyLength), nonce, ephemeralPublicKey, secretKey);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
