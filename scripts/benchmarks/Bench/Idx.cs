using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistCnn.Bench;

/// <summary>A tiny reader for gzipped IDX files (MNIST layout), enough for benchmarks; the module has the real one.</summary>
internal static class Idx
{
    public static string DataDirectory(Options options)
    {
        var dir = options.Text("data") ?? Environment.GetEnvironmentVariable("MNIST_DATA_DIR");
        if (dir is null)
        {
            // scripts/benchmarks/Bench/bin/... -> walk up to a folder that holds shared/datasets/mnist or ../shared/...
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                foreach (var candidate in new[] { Path.Combine(d.FullName, "shared", "datasets", "mnist"), Path.Combine(d.FullName, "..", "shared", "datasets", "mnist") })
                {
                    if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return Path.GetFullPath(candidate);
                }
            }
            dir = "/work/shared/datasets/mnist";
        }
        return dir;
    }

    /// <summary>Images (count x rows x cols bytes) and labels of one split; <paramref name="limit"/> keeps the first examples.</summary>
    public static (byte[] Images, byte[] Labels, int Count) Load(string dir, bool train, int limit = int.MaxValue)
    {
        var prefix = train ? "train" : "t10k";
        var images = ReadAll(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"));
        var labels = ReadAll(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"));
        if (BinaryPrimitives.ReadInt32BigEndian(images) != 0x803 || BinaryPrimitives.ReadInt32BigEndian(labels) != 0x801)
        {
            throw new InvalidDataException($"Not MNIST IDX files in {dir}.");
        }
        int count = Math.Min(BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4)), limit);
        int rows = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12));
        if (rows != 28 || cols != 28) throw new InvalidDataException($"Expected 28x28 images, found {rows}x{cols}.");
        return (images.AsSpan(16, count * rows * cols).ToArray(), labels.AsSpan(8, count).ToArray(), count);
    }

    private static byte[] ReadAll(string path)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gz.CopyTo(memory);
        return memory.ToArray();
    }
}
