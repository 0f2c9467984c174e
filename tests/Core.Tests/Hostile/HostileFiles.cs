using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>Generators of hostile inputs: PNGs that lie about their size, gzip bombs, truncated files.</summary>
internal static class HostileFiles
{
    /// <summary>
    /// A valid PNG header declaring <paramref name="width"/> x <paramref name="height"/> grey pixels, followed by an
    /// IDAT of only <paramref name="rows"/> rows of zeros and IEND: a few hundred bytes that promise gigapixels.
    /// </summary>
    public static byte[] PngDeclaring(int width, int height, int rows = 4)
    {
        using var png = new MemoryStream();
        png.Write(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // greyscale
        Chunk(png, "IHDR", ihdr);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                var row = new byte[width + 1]; // filter byte + pixels
                for (int r = 0; r < rows; r++) z.Write(row);
            }
            Chunk(png, "IDAT", raw.ToArray());
        }
        Chunk(png, "IEND", Array.Empty<byte>());
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>
    /// Gzip of an IDX header followed by <paramref name="length"/> payload bytes (zeros, or random bytes that do not
    /// compress when <paramref name="random"/>), streamed so the test never holds them whole.
    /// </summary>
    public static void WriteGzipIdx(string path, int magic, int[] dims, long length, bool random = false)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Optimal);
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, magic);
        gz.Write(four);
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteInt32BigEndian(four, d);
            gz.Write(four);
        }
        var block = new byte[1 << 20];
        var rng = new Random(5);
        for (long left = length; left > 0; left -= block.Length)
        {
            if (random) rng.NextBytes(block);
            gz.Write(block, 0, (int)Math.Min(block.Length, left));
        }
    }

    /// <summary>The first <paramref name="fraction"/> of a file's bytes, as a truncated download leaves it.</summary>
    public static byte[] Truncate(byte[] bytes, double fraction) => bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray();
}
