using System.Globalization;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistCnn.Core.Reporting;

/// <summary>What a feature-map picture shows.</summary>
public enum FeatureMapKind
{
    /// <summary>The prepared input image.</summary>
    Input,
    /// <summary>A convolution layer's output maps (after its activation) for the input.</summary>
    Activations,
    /// <summary>The first convolution layer's kernels (its first input channel).</summary>
    Filters,
}

/// <summary>One picture of what the layers see: which layer, how many maps of what size, and the PNG (its file once written).</summary>
public sealed record FeatureMapImage(string Layer, FeatureMapKind Kind, int Maps, int MapHeight, int MapWidth, int Width, int Height, int Scale)
{
    /// <summary>The PNG bytes.</summary>
    public required byte[] Png { get; init; }
    /// <summary>The file it was written to, once written.</summary>
    public string? Path { get; init; }
    /// <summary>The file name <see cref="FeatureMaps.Write"/> gives it: features-input.png, features-&lt;layer&gt;.png, filters-&lt;layer&gt;.png.</summary>
    public string FileName => Kind switch
    {
        FeatureMapKind.Input => "features-input.png",
        FeatureMapKind.Filters => $"filters-{Layer}.png",
        _ => $"features-{Layer}.png",
    };
}

/// <summary>
/// What the convolution layers see: for one input image, every convolution layer's activation maps (each map
/// scaled to black..white on its own), and the first layer's learned filters (mid-grey 0, white positive, black
/// negative, all on one scale). The tutorial's "the first layer learns edges" made visible.
/// </summary>
public static class FeatureMaps
{
    /// <summary>Maps are enlarged (nearest neighbour) to at least this many pixels on their longer side.</summary>
    private const int MinimumTile = 48;
    private const int Columns = 8;

    /// <summary>
    /// The pictures for one prepared image (<paramref name="pixels"/>: the model's input size, 8-bit grey, light ink
    /// on dark, as <see cref="Data.ImagePreprocessor"/> or a dataset split gives): the input, then each
    /// convolution layer's maps, then the first convolution layer's filters.
    /// </summary>
    public static IReadOnlyList<FeatureMapImage> Draw(TrainedModel model, ReadOnlySpan<byte> pixels)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.ThrowIfDisposed();
        var spec = model.Spec;
        int h = spec.Input.Height, w = spec.Input.Width, c = spec.Input.Channels;
        if (pixels.Length != h * w * c)
        {
            throw new MnistCnnException(DataErrorIds.ImageSizeMismatch, ErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture,
                $"The image has {pixels.Length} pixels but model '{model.Name}' expects {h}x{w}x{c} = {h * w * c}."), model.Name);
        }
        var summary = spec.Summarize();
        var convs = summary.Where(r => spec.Layers[r.Index] is Conv2DSpec).ToArray();
        if (convs.Length == 0)
        {
            throw new MnistCnnException(ReportingErrorIds.ModelHasNoConvolution, ErrorKind.InvalidArgument,
                $"Model '{model.Name}' has no Conv2D layer, so there are no feature maps to draw.", model.Name);
        }

        var pictures = new List<FeatureMapImage> { Picture("input", FeatureMapKind.Input, [pixels.ToArray()], h, w, "Input") };
        var network = model.Network;
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var modules = network.NamedLayers;
            var names = modules.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
            var x = model.Preprocessing.InputTensor(pixels.ToArray(), [1, c, h, w], model.Device);
            foreach (var (name, module) in modules)
            {
                x = module.forward(x);
                var row = convs.FirstOrDefault(r => r.Name == name);
                if (row is null) continue;
                var conv = (Conv2DSpec)spec.Layers[row.Index];
                // The layer's output as Keras shows it: the convolution and its activation (which the model may apply after pooling).
                var maps = x;
                string activation = row.Name + "_" + ActivationNames.ToName(conv.Activation);
                if (names.Contains(activation)) maps = modules.First(m => m.Name == activation).Module.forward(maps);
                pictures.Add(Picture(row.Name, FeatureMapKind.Activations, Normalised(maps[0]), (int)maps.shape[2], (int)maps.shape[3],
                    string.Create(CultureInfo.InvariantCulture, $"{row.Name}: {maps.shape[1]} maps of {maps.shape[2]}x{maps.shape[3]} ({ActivationNames.ToName(conv.Activation)})")));
            }
            var first = convs[0];
            var weight = network.state_dict()["layers." + first.Name + ".weight"];
            var kernels = weight.detach().cpu()[TensorIndex.Colon, 0];
            var firstConv = (Conv2DSpec)spec.Layers[first.Index];
            pictures.Add(Picture(first.Name, FeatureMapKind.Filters, Diverging(kernels), firstConv.KernelHeight, firstConv.KernelWidth,
                string.Create(CultureInfo.InvariantCulture, $"{first.Name}: {kernels.shape[0]} filters of {firstConv.KernelHeight}x{firstConv.KernelWidth}")));
        }
        finally
        {
            network.train(wasTraining);
        }
        return pictures;
    }

    /// <summary>Writes the pictures into <paramref name="folder"/> (created if missing) under their <see cref="FeatureMapImage.FileName"/>s.</summary>
    public static IReadOnlyList<FeatureMapImage> Write(string folder, IReadOnlyList<FeatureMapImage> pictures)
    {
        ArgumentNullException.ThrowIfNull(pictures);
        string full = PictureFiles.Folder(folder);
        return pictures.Select(p =>
        {
            string path = System.IO.Path.Combine(full, p.FileName);
            PictureFiles.Write(path, p.Png);
            return p with { Path = path };
        }).ToArray();
    }

    private static FeatureMapImage Picture(string layer, FeatureMapKind kind, IReadOnlyList<byte[]> maps, int height, int width, string title)
    {
        int scale = Math.Clamp((MinimumTile + Math.Max(height, width) - 1) / Math.Max(height, width), 1, 32);
        var cells = maps.Select((m, i) => new GridCell(m, kind == FeatureMapKind.Input ? [] : [i.ToString(CultureInfo.InvariantCulture)])).ToArray();
        var grid = ImageGrid.Render(cells, height, width, new ImageGridOptions { Scale = scale, Columns = Columns, Title = title });
        return new FeatureMapImage(layer, kind, maps.Count, height, width, grid.Width, grid.Height, scale) { Png = grid.Png };
    }

    /// <summary>Each map of C x H x W scaled on its own: its minimum black, its maximum white (all black when constant).</summary>
    private static byte[][] Normalised(Tensor maps)
    {
        using var cpu = maps.detach().cpu().contiguous();
        var values = cpu.data<float>().ToArray();
        int count = (int)cpu.shape[0], size = (int)(cpu.shape[1] * cpu.shape[2]);
        var result = new byte[count][];
        for (int m = 0; m < count; m++)
        {
            var span = values.AsSpan(m * size, size);
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            foreach (var v in span) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            result[m] = new byte[size];
            if (!(hi > lo)) continue;
            for (int i = 0; i < size; i++) result[m][i] = (byte)Math.Round(255 * (span[i] - lo) / (hi - lo));
        }
        return result;
    }

    /// <summary>Kernels of F x H x W on one shared scale: 0 is mid-grey, the largest magnitude white (positive) or black (negative).</summary>
    private static byte[][] Diverging(Tensor kernels)
    {
        using var cpu = kernels.contiguous();
        var values = cpu.data<float>().ToArray();
        int count = (int)cpu.shape[0], size = (int)(cpu.shape[1] * cpu.shape[2]);
        float max = values.Select(Math.Abs).DefaultIfEmpty(0).Max();
        var result = new byte[count][];
        for (int f = 0; f < count; f++)
        {
            result[f] = new byte[size];
            for (int i = 0; i < size; i++)
            {
                float v = max > 0 ? values[(f * size) + i] / max : 0;
                result[f][i] = (byte)Math.Clamp(Math.Round(127.5 + (127.5 * v)), 0, 255);
            }
        }
        return result;
    }
}
