"""The server side of Cognito's Secure Remote Password sign-in (USER_SRP_AUTH + PASSWORD_VERIFIER).

The numbers are the ones AWS's own clients use (Amplify JS `utils/srp`, the AWS SDKs): SRP-6a
over the 3072-bit group of RFC 5054 with g = 2 and SHA-256, where

    x = H(pad(salt) || H(poolName || userIdForSrp || ":" || password))    (poolName: the pool id
                                                                           after the "_")
    k = H(pad(N) || pad(g)),  u = H(pad(A) || pad(B))
    key = HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key" || 0x01)[:16]
    PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key, poolName || userIdForSrp
                                                       || SECRET_BLOCK bytes || TIMESTAMP))

`pad` is the hex of the big-endian two's-complement bytes (a leading 00 byte when the top bit
is set). Cognito keeps a verifier g^x; the local pool keeps moto's plain password, so the
verifier is derived from it for each sign-in, with a fresh salt. The client proves that it
knows the password without sending it; a wrong password gives a different key and the
signature does not match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E34"
    "04DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6"
    "F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A6916"
    "3FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C"
    "32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA95"
    "6AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA7157"
    "5D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D876"
    "02733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E"
    "4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
INFO = b"Caldera Derived Key\x01"


def pad_hex(value: int) -> str:
    """Even-length hex of a non-negative integer, with 00 in front when the top bit is set."""
    text = format(value, "x")
    if len(text) % 2:
        text = "0" + text
    if text[0] in "89abcdef":
        text = "00" + text
    return text


def hash_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hash_int(*hex_parts: str) -> int:
    return int(hash_hex(bytes.fromhex("".join(hex_parts))), 16)


K = _hash_int(pad_hex(N), pad_hex(G))


def pool_name(user_pool_id: str) -> str:
    """The part of `us-east-1_AbC123` that SRP hashes: `AbC123`."""
    return user_pool_id.split("_", 1)[1]


def password_exponent(salt: int, pool: str, user_id: str, password: str) -> int:
    inner = hash_hex(f"{pool}{user_id}:{password}".encode())
    return _hash_int(pad_hex(salt), inner)


@dataclass(frozen=True)
class Challenge:
    """What the server keeps between InitiateAuth and RespondToAuthChallenge."""

    pool: str  # the pool id after the "_"
    user_id: str  # USER_ID_FOR_SRP
    salt: int
    verifier: int  # g^x mod N
    b: int  # the server's secret exponent
    big_b: int  # B = k*v + g^b mod N
    secret_block: bytes

    @property
    def parameters(self) -> dict[str, str]:
        """SALT, SRP_B and SECRET_BLOCK as Cognito sends them."""
        return {
            "SALT": pad_hex(self.salt),
            "SRP_B": format(self.big_b, "x"),
            "SECRET_BLOCK": base64.b64encode(self.secret_block).decode(),
        }


def start(user_pool_id: str, user_id: str, password: str) -> Challenge:
    """A new challenge for a user whose password the pool knows (or a decoy's, see `decoy`)."""
    salt = int.from_bytes(secrets.token_bytes(16), "big")
    pool = pool_name(user_pool_id)
    verifier = pow(G, password_exponent(salt, pool, user_id, password), N)
    while True:
        b = int.from_bytes(secrets.token_bytes(32), "big")
        big_b = (K * verifier + pow(G, b, N)) % N
        if big_b:
            break
    return Challenge(pool, user_id, salt, verifier, b, big_b, secrets.token_bytes(64))


def expected_signature(challenge: Challenge, srp_a: int, secret_block: str, timestamp: str) -> str:
    """The PASSWORD_CLAIM_SIGNATURE a client that knows the password computes."""
    u = _hash_int(pad_hex(srp_a), pad_hex(challenge.big_b))
    if u == 0:
        raise ValueError("u is zero")
    shared = pow(srp_a * pow(challenge.verifier, u, N), challenge.b, N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(shared)), "sha256").digest()
    key = hmac.new(prk, INFO, "sha256").digest()[:16]
    message = (
        challenge.pool.encode()
        + challenge.user_id.encode()
        + _b64decode(secret_block)
        + timestamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, "sha256").digest()).decode()


def verify(
    challenge: Challenge, srp_a: int, secret_block: str, timestamp: str, signature: str
) -> bool:
    """True when the client's signature proves knowledge of the password."""
    if srp_a % N == 0 or _b64decode(secret_block) != challenge.secret_block:
        return False
    try:
        expected = expected_signature(challenge, srp_a, secret_block, timestamp)
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature)


def _b64decode(text: str) -> bytes:
    try:
        standard = text.replace("-", "+").replace("_", "/")
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except ValueError:
        return b""
