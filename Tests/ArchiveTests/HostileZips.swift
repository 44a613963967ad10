import Foundation

/// Hand-made zips that a safe extractor must refuse, built with Python's `zipfile`
/// (which writes whatever names and modes it is given) and a few byte patches.
enum HostileZip: String, CaseIterable, Sendable {
    case dotDot, dotDotInside, absolute, backslash, symlink, characterDevice, blockDevice, socket
    case duplicate, duplicateAfterDotSlash, duplicateAfterDoubleSlash, fileThenFolder
    case ratioBomb, bombBehindStoredEntry, manyEntries, manyBytes, lyingSize, badCRC, notAZip

    /// Makes the zip at `path`.
    func make(at path: String) throws {
        _ = try runPython(Self.script, [rawValue, path])
    }

    private static let script = #"""
import struct, sys, zipfile, os

case, path = sys.argv[1], sys.argv[2]

def info(name, mode=0o100644, compress=zipfile.ZIP_DEFLATED):
    i = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6))
    i.external_attr = mode << 16
    i.create_system = 3
    i.compress_type = compress
    return i

def write(entries, **kw):
    with zipfile.ZipFile(path, "w", **kw) as z:
        for name, data, *rest in entries:
            z.writestr(info(name, *rest), data)

def patch_sizes(fake):
    # Change the uncompressed size in the local header and the central directory.
    b = bytearray(open(path, "rb").read())
    assert b[:4] == b"PK\x03\x04"
    struct.pack_into("<I", b, 22, fake)
    cd = b.rfind(b"PK\x01\x02")
    struct.pack_into("<I", b, cd + 24, fake)
    open(path, "wb").write(bytes(b))

if case == "dotDot":
    write([("ok.txt", b"fine"), ("../escape.txt", b"escaped")])
elif case == "dotDotInside":
    write([("a/../../escape.txt", b"escaped")])
elif case == "absolute":
    write([("/tmp/ferry-absolute-escape.txt", b"escaped")])
elif case == "backslash":
    write([("..\\escape.txt", b"escaped")])
elif case == "symlink":
    write([("link", b"../../outside", 0o120777, zipfile.ZIP_STORED), ("link/evil.txt", b"through the link")])
elif case == "characterDevice":
    write([("dev", b"", 0o020644)])
elif case == "blockDevice":
    write([("blk", b"", 0o060644)])
elif case == "socket":
    write([("sock", b"", 0o140644)])
elif case == "duplicate":
    import warnings; warnings.simplefilter("ignore")
    write([("a.txt", b"first"), ("a.txt", b"second")])
elif case == "duplicateAfterDotSlash":
    write([("a.txt", b"first"), ("./a.txt", b"second")])
elif case == "duplicateAfterDoubleSlash":
    write([("d/a.txt", b"first"), ("d//a.txt", b"second")])
elif case == "fileThenFolder":
    write([("d", b"a file"), ("d/a.txt", b"needs d to be a folder")])
elif case == "ratioBomb":
    write([("zeros.bin", bytes(8 << 20))])
elif case == "bombBehindStoredEntry":
    write([("a-noise.bin", os.urandom(4 << 20), 0o100644, zipfile.ZIP_STORED), ("b-zeros.bin", bytes(8 << 20))])
elif case == "manyEntries":
    write([("f%d.txt" % n, b"x") for n in range(5)])
elif case == "manyBytes":
    write([("a.bin", os.urandom(600_000), 0o100644, zipfile.ZIP_STORED), ("b.bin", os.urandom(600_000), 0o100644, zipfile.ZIP_STORED)])
elif case == "lyingSize":
    # Large enough that libarchive hands out data before it reaches the end of the
    # entry (where it would notice the size itself): Ferry must count the bytes.
    write([("big.txt", b"".join(b"line %07d of a lying entry\n" % n for n in range(80_000)))])
    patch_sizes(10)
elif case == "badCRC":
    write([("data.bin", b"A" * 1000, 0o100644, zipfile.ZIP_STORED)])
    b = bytearray(open(path, "rb").read())
    b[30 + len("data.bin") + 500] ^= 0xff
    open(path, "wb").write(bytes(b))
elif case == "notAZip":
    open(path, "wb").write(b"this is not a zip file at all" * 10)
else:
    sys.exit("unknown case " + case)
"""#
}
