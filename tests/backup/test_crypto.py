"""The stream format refuses every tampering the issue names: a flipped byte, truncation (at and
inside a chunk boundary), reordered or dropped chunks, appended bytes, another backup's header,
the wrong key; and a keyring with the new key first still reads backups made with the old one."""

from __future__ import annotations

import base64
import os

import pytest

from lokdarpan_db.backup import crypto
from lokdarpan_db.backup.crypto import IntegrityError, Keyring
from lokdarpan_db.errors import BadInputError

CHUNK = 4096
BID = os.urandom(16)


def blocks(data: bytes, size: int = CHUNK):
    return iter([data[i : i + size] for i in range(0, len(data), size)])


def seal(data: bytes, dk: bytes) -> bytes:
    return b"".join(crypto.encrypt_stream(dk, BID, blocks(data), CHUNK))


def open_(blob: bytes, dk: bytes, bid: bytes = BID, piece: int = 1000) -> bytes:
    return b"".join(crypto.decrypt_stream(dk, bid, blocks(blob, piece)))


def frames(blob: bytes) -> tuple[bytes, list[bytes]]:
    header, rest, out = blob[: crypto.HEADER.size], blob[crypto.HEADER.size :], []
    while rest:
        n = int.from_bytes(rest[:4], "big")
        out.append(rest[: 4 + n])
        rest = rest[4 + n :]
    return header, out


@pytest.fixture()
def sealed() -> tuple[bytes, bytes, bytes]:
    dk = crypto.new_data_key()
    data = os.urandom(CHUNK * 5 + 123)
    return data, dk, seal(data, dk)


def test_round_trip_in_any_read_size(sealed):
    data, dk, blob = sealed
    assert len(frames(blob)[1]) == 6
    for piece in (1, 7, 4096, 10**6):
        assert open_(blob, dk, piece=piece) == data


def test_empty_input_is_one_final_chunk():
    dk = crypto.new_data_key()
    assert open_(seal(b"", dk), dk) == b""


@pytest.mark.parametrize("where", ["header", "middle", "last byte"])
def test_four_flipped_bytes_are_refused(sealed, where):
    _, dk, blob = sealed
    pos = {"header": 6, "middle": len(blob) // 2, "last byte": len(blob) - 4}[where]
    bad = bytearray(blob)
    for i in range(pos, pos + 4):
        bad[i] ^= 0xFF
    with pytest.raises(IntegrityError):
        open_(bytes(bad), dk)


def test_truncation_at_a_chunk_boundary_and_inside_a_chunk(sealed):
    _, dk, blob = sealed
    header, fr = frames(blob)
    with pytest.raises(IntegrityError, match="final chunk is missing"):
        open_(header + b"".join(fr[:-1]), dk)
    with pytest.raises(IntegrityError, match="truncated"):
        open_(blob[:-100], dk)
    with pytest.raises(IntegrityError, match="empty"):
        open_(b"", dk)


def test_reordered_dropped_and_appended_chunks(sealed):
    _, dk, blob = sealed
    header, fr = frames(blob)
    with pytest.raises(IntegrityError, match="chunk 1"):
        open_(header + fr[0] + fr[2] + fr[1] + b"".join(fr[3:]), dk)
    with pytest.raises(IntegrityError, match="chunk 1"):
        open_(header + fr[0] + b"".join(fr[2:]), dk)
    with pytest.raises(IntegrityError, match="after the final chunk"):
        open_(blob + fr[0], dk)


def test_another_backups_header_or_key(sealed):
    _, dk, blob = sealed
    with pytest.raises(IntegrityError, match="another backup"):
        open_(blob, dk, bid=os.urandom(16))
    with pytest.raises(IntegrityError, match="does not authenticate"):
        open_(blob, crypto.new_data_key())


def test_key_wrapping_and_rotation():
    old, new = os.urandom(32), os.urandom(32)
    dk = crypto.new_data_key()
    wrapped = [crypto.wrap(old, dk, BID)]
    rotated = Keyring((new, old))  # after rotation: the new key first, the old kept for reading
    assert crypto.unwrap(rotated, wrapped, BID) == dk
    with pytest.raises(IntegrityError, match=f"wrong key.*{crypto.key_id(old)}"):
        crypto.unwrap(Keyring((new,)), wrapped, BID)
    with pytest.raises(IntegrityError, match="edited"):
        crypto.unwrap(rotated, wrapped, os.urandom(16))  # wrapped key moved to another backup


def test_keyring_parsing_names_the_bad_line(tmp_path):
    good = base64.b64encode(os.urandom(32)).decode()
    ring = Keyring.parse(f"# current\n{good}\n", "k")
    assert ring.current == base64.b64decode(good)
    with pytest.raises(BadInputError, match="k:2: not base64"):
        Keyring.parse(f"{good}\n!!!\n", "k")
    with pytest.raises(BadInputError, match="32 bytes, this one is 16"):
        Keyring.parse(base64.b64encode(os.urandom(16)).decode(), "k")
    with pytest.raises(BadInputError, match="cannot read key file"):
        Keyring.load(tmp_path / "missing")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_a_key_file_open_to_group_or_others_is_refused(tmp_path, mode):
    path = tmp_path / "backup.keys"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(mode)
    with pytest.raises(BadInputError, match=rf"accessible by group or others \(mode {mode:04o}\).*chmod 600"):
        Keyring.load(path)
    path.chmod(0o600)
    assert len(Keyring.load(path).keys) == 1
    path.chmod(0o400)
    assert len(Keyring.load(path).keys) == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_key_file_owned_by_someone_else_is_refused(tmp_path):
    import pwd

    path = tmp_path / "backup.keys"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(path, nobody, -1)
    with pytest.raises(BadInputError, match=rf"owned by uid {nobody}, not by you \(uid 0\)"):
        Keyring.load(path)


def test_the_cli_refuses_a_shared_key_file_in_one_line(tmp_path, capsys):
    from support import PLAN

    from lokdarpan_db.cli import run

    path = tmp_path / "backup.keys"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o644)
    assert (
        run(["--plan", str(PLAN), "backup", "--dest", str(tmp_path / "d"), "--key-file", str(path), "list"])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "accessible by group or others (mode 0644)" in err, err
