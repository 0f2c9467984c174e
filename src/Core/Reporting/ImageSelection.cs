using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Reporting;

/// <summary>Which examples of a split to draw: the first N, chosen indices, or N at random with a seed.</summary>
public static class ImageSelection
{
    /// <summary>Indices 0 .. count-1 (fewer when the split is smaller).</summary>
    public static IReadOnlyList<int> First(DataSplit split, int count)
    {
        ArgumentNullException.ThrowIfNull(split);
        CheckCount(count);
        return Enumerable.Range(0, Math.Min(count, split.Count)).ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> distinct indices drawn without replacement (partial Fisher-Yates over
    /// <see cref="Random"/>(seed)): the same seed and split size give the same indices on every machine.
    /// </summary>
    public static IReadOnlyList<int> Random(DataSplit split, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        CheckCount(count);
        int n = split.Count;
        count = Math.Min(count, n);
        var pool = Enumerable.Range(0, n).ToArray();
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, n);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(count).ToArray();
    }

    /// <summary>Throws <c>ImageIndexOutOfRange</c> unless every index is inside <paramref name="split"/>.</summary>
    public static void Check(IReadOnlyList<int> indices, DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(split);
        if (indices.Count == 0)
        {
            throw new MnistCnnException(ReportingErrorIds.ImageSelectionEmpty, ErrorKind.InvalidArgument, "There are no images to draw: choose at least one index.", null);
        }
        foreach (int index in indices)
        {
            if (index < 0 || index >= split.Count)
            {
                throw new MnistCnnException(ReportingErrorIds.ImageIndexOutOfRange, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                    $"Index {index} is outside the {split.Count} images of split '{split.Name}'; use 0 to {split.Count - 1}."), index.ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    private static void CheckCount(int count)
    {
        if (count < 1)
        {
            throw new MnistCnnException(ReportingErrorIds.ImageCountInvalid, ErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"Count must be at least 1 (got {count})."), count.ToString(CultureInfo.InvariantCulture));
        }
    }
}
