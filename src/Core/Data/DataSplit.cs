using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Data;

/// <summary>
/// One split of an IDX image set (train or test): raw 8-bit pixels and labels in managed memory, turned into
/// tensors on request. Pixels are scaled to [0, 1] as in the tutorial; labels are class indices (one-hot is
/// <see cref="OneHotLabels"/>).
/// </summary>
public sealed class DataSplit
{
    public DataSplit(string name, byte[] images, byte[] labels, int height, int width, string? imagesFile = null, string? labelsFile = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (height < 1 || width < 1 || images.Length != labels.Length * height * width)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{labels.Length} labels need {labels.Length * height * width} pixels of {height}x{width}, not {images.Length}."), nameof(images));
        }
        Name = name;
        Pixels = images;
        Labels = labels;
        Height = height;
        Width = width;
        ImagesFile = imagesFile;
        LabelsFile = labelsFile;
    }

    public string Name { get; }
    /// <summary>Row-major 8-bit pixels, <see cref="Count"/> x <see cref="Height"/> x <see cref="Width"/>.</summary>
    public byte[] Pixels { get; }
    public byte[] Labels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Count => Labels.Length;
    public string? ImagesFile { get; }
    public string? LabelsFile { get; }

    /// <summary>Shape as the tutorial prints it: (60000, 28, 28).</summary>
    public string Shape => string.Create(CultureInfo.InvariantCulture, $"{Count}x{Height}x{Width}");

    /// <summary>How many examples each class has, indexed by label.</summary>
    public int[] LabelCounts(int classes = 10)
    {
        var counts = new int[Math.Max(classes, Labels.Length == 0 ? 0 : Labels.Max() + 1)];
        foreach (var label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>The pixels of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Height * Width, Height * Width);

    /// <summary>Examples [start, start + count) as a new split (copies).</summary>
    public DataSplit Slice(int start, int count, string? name = null)
    {
        if (start < 0 || count < 0 || start + count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), string.Create(CultureInfo.InvariantCulture, $"[{start}, {start + count}) is outside the {Count} examples of '{Name}'."));
        }
        int size = Height * Width;
        return new DataSplit(name ?? Name, Pixels.AsSpan(start * size, count * size).ToArray(), Labels.AsSpan(start, count).ToArray(), Height, Width, ImagesFile, LabelsFile);
    }

    /// <summary>The examples at <paramref name="indices"/>, in that order, as a new split.</summary>
    public DataSplit Select(IReadOnlyList<int> indices, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int size = Height * Width;
        var pixels = new byte[indices.Count * size];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Pixels.AsSpan(indices[i] * size, size).CopyTo(pixels.AsSpan(i * size));
            labels[i] = Labels[indices[i]];
        }
        return new DataSplit(name ?? Name, pixels, labels, Height, Width, ImagesFile, LabelsFile);
    }

    /// <summary>Float images N x 1 x H x W scaled to [0, 1] (the tutorial's <c>/ 255</c>), on <paramref name="device"/>.</summary>
    public Tensor ImagesTensor(Device? device = null)
    {
        using var scope = NewDisposeScope();
        var raw = tensor(Pixels, new long[] { Count, 1, Height, Width }, ScalarType.Byte);
        using var maxPixel = 255f.ToScalar();
        var result = raw.to(ScalarType.Float32).div_(maxPixel);
        if (device is not null && device.type != DeviceType.CPU) result = result.to(device);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Labels as int64 class indices, length N.</summary>
    public Tensor LabelsTensor(Device? device = null)
    {
        using var scope = NewDisposeScope();
        var result = tensor(Labels, ScalarType.Byte).to(ScalarType.Int64);
        if (device is not null && device.type != DeviceType.CPU) result = result.to(device);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>One-hot labels N x classes (the tutorial's <c>to_categorical</c>).</summary>
    public Tensor OneHotLabels(int classes = 10, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var result = nn.functional.one_hot(LabelsTensor(device), classes).to(ScalarType.Float32);
        return result.MoveToOuterDisposeScope();
    }

    public override string ToString() => $"{Name}: {Shape}";
}
