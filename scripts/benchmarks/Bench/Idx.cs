using MnistCnn.Core.Data;

namespace MnistCnn.Bench;

/// <summary>Finds and reads MNIST for the benchmarks through the module's own loader (same checks, same search order).</summary>
internal static class Idx
{
    /// <summary>--data, else a shared/datasets/mnist folder above the binary; null lets MnistLoader search (MNIST_DATA_DIR, cache, download).</summary>
    public static string? DataDirectory(Options options)
    {
        if (options.Text("data") is { } dir) return dir;
        // scripts/benchmarks/Bench/bin/... -> walk up to a folder that holds shared/datasets/mnist or ../shared/...
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(d.FullName, "shared", "datasets", "mnist"), Path.Combine(d.FullName, "..", "shared", "datasets", "mnist") })
            {
                if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    /// <summary>Images (count x rows x cols bytes) and labels of one split; <paramref name="limit"/> keeps the first examples.</summary>
    public static (byte[] Images, byte[] Labels, int Count) Load(string? dir, bool train, int limit = int.MaxValue)
    {
        var data = new MnistLoader().Load(DatasetKind.Mnist, dir);
        var split = train ? data.Train : data.Test;
        if (limit < split.Count) split = split.Slice(0, limit);
        return (split.Pixels, split.Labels, split.Count);
    }
}
