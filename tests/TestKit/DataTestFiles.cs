using System.Buffers.Binary;
using System.IO.Compression;
using MnistCnn.Core.Data;

namespace MnistCnn.TestKit;

/// <summary>Synthetic IDX files, temp folders, and the real MNIST folder for the data tests.</summary>
internal static class DataTestFiles
{
    public static readonly string[] Names = KnownChecksums.FileNames.ToArray();

    /// <summary>The real MNIST folder: MNIST_DATA_DIR, else shared/datasets/mnist next to (or above) the checkout; null when absent.</summary>
    public static string? RealMnistFolder()
    {
        if (Environment.GetEnvironmentVariable("MNIST_DATA_DIR") is { Length: > 0 } env && HasAll(env)) return env;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) dir = dir.Parent;
        for (var up = dir?.Parent; up is not null; up = up.Parent)
        {
            string candidate = Path.Combine(up.FullName, "shared", "datasets", "mnist");
            if (HasAll(candidate)) return candidate;
        }
        return null;
    }

    public const string NoRealData = "The real MNIST files were not found (set MNIST_DATA_DIR or put them in ../shared/datasets/mnist next to the checkout).";

    private static bool HasAll(string folder) => MnistLoader.FindFiles(folder).Values.All(p => p is not null);

    public static byte[] Idx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes.AsSpan(4 + 4 * dims.Length));
        return bytes;
    }

    public static byte[] Images(int count, int height, int width, int seed = 1)
    {
        var pixels = new byte[count * height * width];
        new Random(seed).NextBytes(pixels);
        return Idx(IdxReader.ImagesMagic, new[] { count, height, width }, pixels);
    }

    public static byte[] Labels(int count, int seed = 1)
    {
        var random = new Random(seed);
        return Idx(IdxReader.LabelsMagic, new[] { count }, Enumerable.Range(0, count).Select(_ => (byte)random.Next(10)).ToArray());
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>A small dataset: 6 train and 4 test images of 5x4, as .gz or raw files.</summary>
    public static Dictionary<string, byte[]> SmallSet(int trainCount = 6, int testCount = 4, int height = 5, int width = 4) => new()
    {
        [KnownChecksums.TrainImages] = Images(trainCount, height, width, 1),
        [KnownChecksums.TrainLabels] = Labels(trainCount, 2),
        [KnownChecksums.TestImages] = Images(testCount, height, width, 3),
        [KnownChecksums.TestLabels] = Labels(testCount, 4),
    };

    public static void Write(string folder, IReadOnlyDictionary<string, byte[]> files, bool gzip)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, bytes) in files)
        {
            File.WriteAllBytes(Path.Combine(folder, gzip ? name + ".gz" : name), gzip ? Gzip(bytes) : bytes);
        }
    }

    /// <summary>Options that see no real environment, cache or network: everything comes from the test.</summary>
    public static DataLoadOptions Isolated(string cacheRoot, IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        CacheRoot = cacheRoot,
        Mirrors = Array.Empty<Uri>(),
        AllowNpm = false,
        SystemFolders = Array.Empty<string>(),
        GetEnvironmentVariable = name => environment is not null && environment.TryGetValue(name, out var value) ? value : null,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        DownloadTimeout = TimeSpan.FromSeconds(30),
    };
}

/// <summary>A temp folder deleted at the end of a test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("mnistcnn-test-").FullName;

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
