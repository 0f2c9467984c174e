using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Data;

/// <summary>One IDX file read into memory: its dimensions, its payload and its checksums.</summary>
public sealed class IdxFile
{
    private readonly Lazy<string> contentSha256;

    internal IdxFile(string path, int magic, int[] dimensions, byte[] data, string sha256, Lazy<string> contentSha256, bool compressed)
    {
        Path = path;
        Magic = magic;
        Dimensions = dimensions;
        Data = data;
        Sha256 = sha256;
        this.contentSha256 = contentSha256;
        Compressed = compressed;
    }

    /// <summary>Where the bytes came from (a file path, or a name inside a download).</summary>
    public string Path { get; }
    public string FileName => System.IO.Path.GetFileName(Path);
    /// <summary>The magic number: 0x00000803 for images, 0x00000801 for labels.</summary>
    public int Magic { get; }
    /// <summary>The sizes from the header, outermost first: (count, rows, columns) for images, (count) for labels.</summary>
    public IReadOnlyList<int> Dimensions { get; }
    public int Count => Dimensions[0];
    /// <summary>The payload after the header, one unsigned byte per element.</summary>
    public byte[] Data { get; }
    /// <summary>Lower-case hex SHA-256 of the bytes as stored (the <c>.gz</c> file for compressed files).</summary>
    public string Sha256 { get; }
    /// <summary>Lower-case hex SHA-256 of the uncompressed IDX bytes (header + payload); equals <see cref="Sha256"/> for raw files. Computed on first use.</summary>
    public string ContentSha256 => contentSha256.Value;
    public bool Compressed { get; }

    /// <summary>The same content, named by another path (e.g. where it was cached).</summary>
    public IdxFile WithPath(string path) => new(path, Magic, (int[])Dimensions, Data, Sha256, contentSha256, Compressed);

    public override string ToString() => $"{FileName}: {string.Join('x', Dimensions)}";
}

/// <summary>The magic number and dimensions of an IDX file, read without its payload.</summary>
public sealed record IdxHeader(string Path, int Magic, IReadOnlyList<int> Dimensions, long PayloadBytes)
{
    public int Count => Dimensions[0];
}

/// <summary>
/// Reads IDX files (the MNIST format: a big-endian magic number whose low byte is the number of dimensions, the
/// dimensions as big-endian uint32, then unsigned bytes), raw or gzip-compressed (detected by content), in one
/// block each. Every defect becomes a <see cref="MnistCnnException"/> with an id from <see cref="DataErrorIds"/>.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Deflate cannot compress better than about 1032:1; a header promising more than this is lying.</summary>
    private const long MaxGzipRatio = 1100;

    internal const string DefaultRemedy =
        "Replace it with an intact copy of the file, or pass -Path (or set MNIST_DATA_DIR) to a folder with four good files.";

    public static IdxFile ReadImages(string path, string? remedy = null) => Read(path, ImagesMagic, remedy);

    public static IdxFile ReadLabels(string path, string? remedy = null) => Read(path, LabelsMagic, remedy);

    /// <summary>Reads and checks the file at <paramref name="path"/>; <paramref name="remedy"/> is appended to error messages.</summary>
    public static IdxFile Read(string path, int expectedMagic, string? remedy = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MnistCnnException(DataErrorIds.DataFileMissing, ErrorKind.ObjectNotFound,
                $"The data file '{path}' does not exist. {remedy ?? DefaultRemedy}", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistCnnException(DataErrorIds.DataFileUnreadable, ErrorKind.ResourceUnavailable,
                $"The data file '{path}' could not be read: {e.Message}", path, e);
        }
        return Parse(bytes, path, expectedMagic, remedy);
    }

    /// <summary>
    /// Reads only the magic number and dimensions of the file at <paramref name="path"/> (through gzip when it is
    /// compressed), so sizes can be checked against each other before any payload is inflated.
    /// </summary>
    public static IdxHeader ReadHeader(string path, int expectedMagic, string? remedy = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        remedy ??= DefaultRemedy;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            Span<byte> head = stackalloc byte[2];
            int got = ReadFull(file, head);
            file.Position = 0;
            bool gzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B;
            if (!gzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                throw Fail(DataErrorIds.IdxBadGzip, path, file.Length == 0
                    ? "is empty (0 bytes) but should be a gzip-compressed IDX file"
                    : "is not gzip data (it does not start with the bytes 1F 8B) although its name ends in .gz", remedy);
            }
            using Stream content = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
            Span<byte> header = stackalloc byte[4 + 4 * 255];
            int read = ReadFull(content, header[..4]);
            int dimsCount = read == 4 ? header[3] : 0;
            read += ReadFull(content, header.Slice(4, read == 4 ? 4 * dimsCount : 0));
            var (magic, dims, _, payload) = ParseHeader(header[..read], gzip ? long.MaxValue : file.Length, path, expectedMagic, remedy);
            return new IdxHeader(path, magic, dims, payload);
        }
        catch (InvalidDataException e)
        {
            throw new MnistCnnException(DataErrorIds.IdxBadGzip, ErrorKind.InvalidData, $"'{path}' is not valid gzip data ({e.Message}). {remedy}", path, e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MnistCnnException(DataErrorIds.DataFileMissing, ErrorKind.ObjectNotFound, $"The data file '{path}' does not exist. {remedy}", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MnistCnnException(DataErrorIds.DataFileUnreadable, ErrorKind.ResourceUnavailable, $"The data file '{path}' could not be read: {e.Message}", path, e);
        }
    }

    /// <summary>
    /// Checks an images header against its labels header before either payload is read: the counts must agree.
    /// </summary>
    public static void CheckPair(IdxHeader images, IdxHeader labels, string? remedy = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Count != labels.Count)
        {
            throw new MnistCnnException(DataErrorIds.IdxCountMismatch, ErrorKind.InvalidData, Invariant(
                $"'{images.Path}' holds {images.Count} images but '{labels.Path}' holds {labels.Count} labels (by their headers; nothing was inflated); the two files of a split must have the same count. Check that they belong together (train-* with train-*, t10k-* with t10k-*). {remedy ?? DefaultRemedy}"),
                labels.Path);
        }
    }

    /// <summary>
    /// Parses a whole IDX file held in memory. It is gzip when it starts with 1F 8B; a <paramref name="path"/> ending
    /// in <c>.gz</c> must be gzip. <paramref name="path"/> only names the data in messages.
    /// </summary>
    public static IdxFile Parse(byte[] bytes, string path, int expectedMagic, string? remedy = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(path);
        remedy ??= DefaultRemedy;
        bool gzip = bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;
        if (!gzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            throw Fail(DataErrorIds.IdxBadGzip, path, bytes.Length == 0
                ? "is empty (0 bytes) but should be a gzip-compressed IDX file"
                : "is not gzip data (it does not start with the bytes 1F 8B) although its name ends in .gz", remedy);
        }
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        try
        {
            return gzip ? ParseGzip(bytes, path, expectedMagic, sha, remedy) : ParseRaw(bytes, path, expectedMagic, sha, remedy);
        }
        catch (InvalidDataException e)
        {
            throw new MnistCnnException(DataErrorIds.IdxBadGzip, ErrorKind.InvalidData,
                $"'{path}' is not valid gzip data ({e.Message}). {remedy}", path, e);
        }
    }

    /// <summary>
    /// Pairs an images file with its labels file into a split, checking that they agree on the count and that
    /// every label is a class index 0..9.
    /// </summary>
    public static DataSplit ToSplit(string name, IdxFile images, IdxFile labels, string? remedy = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        remedy ??= DefaultRemedy;
        if (images.Magic != ImagesMagic) throw new ArgumentException($"'{images.Path}' is not an images file.", nameof(images));
        if (labels.Magic != LabelsMagic) throw new ArgumentException($"'{labels.Path}' is not a labels file.", nameof(labels));
        if (images.Count != labels.Count)
        {
            throw new MnistCnnException(DataErrorIds.IdxCountMismatch, ErrorKind.InvalidData, Invariant(
                $"'{images.Path}' holds {images.Count} images but '{labels.Path}' holds {labels.Count} labels; the two files of a split must have the same count. Check that they belong together (train-* with train-*, t10k-* with t10k-*). {remedy}"),
                labels.Path);
        }
        int bad = labels.Data.AsSpan().IndexOfAnyInRange((byte)10, byte.MaxValue);
        if (bad >= 0)
        {
            throw new MnistCnnException(DataErrorIds.IdxBadLabel, ErrorKind.InvalidData, Invariant(
                $"'{labels.Path}' has label {labels.Data[bad]} at index {bad}; labels must be class indices 0..9. {remedy}"), labels.Path);
        }
        return new DataSplit(name, images.Data, labels.Data, images.Dimensions[1], images.Dimensions[2], images.Path, labels.Path);
    }

    private static IdxFile ParseRaw(byte[] bytes, string path, int expectedMagic, string sha, string remedy)
    {
        var (magic, dims, headerLength, payload) = ParseHeader(bytes.AsSpan(0, Math.Min(bytes.Length, 4 + 4 * 255)), bytes.Length, path, expectedMagic, remedy);
        long expected = headerLength + payload;
        if (bytes.Length < expected)
        {
            throw Fail(DataErrorIds.IdxTruncated, path, Invariant(
                $"is truncated: its header promises {Describe(dims)} ({expected} bytes) but the file has only {bytes.Length} bytes"), remedy);
        }
        if (bytes.Length > expected)
        {
            throw Fail(DataErrorIds.IdxTrailingData, path, Invariant(
                $"has {bytes.Length - expected} bytes more than its header promises ({Describe(dims)}, {expected} bytes); the header or the file is wrong"), remedy);
        }
        var data = bytes.AsSpan(headerLength).ToArray();
        return new IdxFile(path, magic, dims, data, sha, new Lazy<string>(sha), compressed: false);
    }

    private static IdxFile ParseGzip(byte[] bytes, string path, int expectedMagic, string sha, string remedy)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
        // The header is at most 4 + 4 * 3 bytes for the files we accept; read the magic first to know its length.
        Span<byte> header = stackalloc byte[4 + 4 * 255];
        int got = ReadFull(gzip, header[..4]);
        int dimsCount = got == 4 ? header[3] : 0;
        got += ReadFull(gzip, header.Slice(4, got == 4 ? 4 * dimsCount : 0));
        var (magic, dims, headerLength, payload) = ParseHeader(header[..got], long.MaxValue, path, expectedMagic, remedy);
        if (payload > bytes.Length * MaxGzipRatio)
        {
            throw Fail(DataErrorIds.IdxTruncated, path, Invariant(
                $"promises {Describe(dims)} ({payload} bytes), more than {bytes.Length} bytes of gzip can hold; the file is truncated or its header is corrupt"), remedy);
        }
        // Inflate into a buffer that grows with the data actually there, never straight to the size the header
        // claims: a lying header costs only what its stream really holds.
        var data = InflateUpTo(gzip, (int)payload, out int read);
        if (read < payload)
        {
            throw Fail(DataErrorIds.IdxTruncated, path, Invariant(
                $"is truncated: its header promises {Describe(dims)} ({payload} bytes after the header) but it ends after {read}"), remedy);
        }
        if (gzip.ReadByte() >= 0)
        {
            throw Fail(DataErrorIds.IdxTrailingData, path, Invariant(
                $"holds more data than its header promises ({Describe(dims)}); the header or the file is wrong"), remedy);
        }
        // Hashing the uncompressed bytes costs as much as inflating them; only do it when someone asks.
        byte[] headerCopy = header[..headerLength].ToArray();
        var content = new Lazy<string>(() =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(headerCopy);
            hash.AppendData(data);
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        return new IdxFile(path, magic, dims, data, sha, content, compressed: true);
    }

    /// <summary>Checks magic and dimensions; returns the header length and the payload size in bytes.</summary>
    private static (int Magic, int[] Dims, int HeaderLength, long Payload) ParseHeader(
        ReadOnlySpan<byte> header, long available, string path, int expectedMagic, string remedy)
    {
        if (header.Length < 4)
        {
            throw Fail(DataErrorIds.IdxTruncated, path, Invariant(
                $"is truncated: it holds only {header.Length} bytes, not even the 4-byte IDX magic number"), remedy);
        }
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            string what = magic switch
            {
                ImagesMagic => "an images file",
                LabelsMagic => "a labels file",
                _ => "not an IDX file of unsigned bytes",
            };
            throw Fail(DataErrorIds.IdxBadMagic, path, Invariant(
                $"starts with magic number 0x{magic:X8} ({what}); expected 0x{expectedMagic:X8} ({(expectedMagic == ImagesMagic ? "images" : "labels")})"), remedy);
        }
        int dimsCount = magic & 0xFF;
        int headerLength = 4 + 4 * dimsCount;
        if (header.Length < headerLength || available < headerLength)
        {
            throw Fail(DataErrorIds.IdxTruncated, path, Invariant(
                $"is truncated inside its header: {dimsCount} dimensions need {headerLength} header bytes"), remedy);
        }
        var dims = new int[dimsCount];
        long payload = 1;
        for (int i = 0; i < dimsCount; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4 + 4 * i));
            if (size == 0 || size > int.MaxValue)
            {
                throw Fail(DataErrorIds.IdxBadDimensions, path, Invariant(
                    $"has dimension {i} of size {size}; every dimension must be between 1 and {int.MaxValue}"), remedy);
            }
            dims[i] = (int)size;
            payload = Math.Min(payload * size, Array.MaxLength + 1L);
        }
        if (payload > Array.MaxLength)
        {
            throw Fail(DataErrorIds.IdxBadDimensions, path, Invariant(
                $"has dimensions {string.Join(" x ", dims)}, more than the {Array.MaxLength} bytes one array can hold"), remedy);
        }
        return (magic, dims, headerLength, payload);
    }

    private static byte[] InflateUpTo(Stream stream, int payload, out int read)
    {
        const int FirstChunk = 16 << 20;
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Min(payload, FirstChunk));
        read = ReadFull(stream, buffer);
        while (read == buffer.Length && read < payload)
        {
            var bigger = GC.AllocateUninitializedArray<byte>((int)Math.Min(payload, (long)buffer.Length * 2));
            buffer.AsSpan(0, read).CopyTo(bigger);
            buffer = bigger;
            read += ReadFull(stream, buffer.AsSpan(read));
        }
        return buffer;
    }

    private static int ReadFull(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static string Describe(int[] dims) => dims.Length switch
    {
        3 => Invariant($"{dims[0]} images of {dims[1]}x{dims[2]}"),
        1 => Invariant($"{dims[0]} labels"),
        _ => string.Join(" x ", dims),
    };

    private static MnistCnnException Fail(string errorId, string path, string problem, string remedy) =>
        new(errorId, ErrorKind.InvalidData, $"'{path}' {problem}. {remedy}", path);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
