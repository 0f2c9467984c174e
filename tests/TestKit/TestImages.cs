using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using SkiaSharp;
using TorchSharp;

namespace MnistCnn.TestKit;

/// <summary>Writes test pictures with SkiaSharp: exact grey PNGs, "photo style" digits, transparent PNGs.</summary>
internal static class TestImages
{
    /// <summary>Encodes 8-bit grey pixels (row-major) as a grey PNG or JPEG.</summary>
    public static void WriteGrey(string path, byte[] grey, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var image = SKImage.FromPixelCopy(info, grey, width);
        Save(path, image, format, quality);
    }

    /// <summary>Encodes RGBA pixels (unpremultiplied, 4 bytes a pixel) as a PNG with transparency.</summary>
    public static void WriteRgba(string path, byte[] rgba, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var image = SKImage.FromPixelCopy(info, rgba, width * 4);
        Save(path, image, SKEncodedImageFormat.Png, 100);
    }

    /// <summary>
    /// An MNIST digit drawn the way someone photographs a digit on paper: dark ink on a white page, scaled up
    /// <paramref name="scale"/> times with smooth (bilinear) sampling and a white margin around it.
    /// </summary>
    public static void WritePhotoStyle(string path, ReadOnlySpan<byte> digit, int size, int scale, int margin, SKEncodedImageFormat format, byte paper = 255)
    {
        var inverted = new byte[size * size];
        for (int i = 0; i < inverted.Length; i++) inverted[i] = (byte)(255 - digit[i]);
        using var small = SKImage.FromPixelCopy(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque), inverted, size);
        int side = (size * scale) + (2 * margin);
        using var surface = SKSurface.Create(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(new SKColor(paper, paper, paper));
        using var paint = new SKPaint { BlendMode = paper == 255 ? SKBlendMode.SrcOver : SKBlendMode.Darken };
        surface.Canvas.DrawImage(small, SKRect.Create(margin, margin, size * scale, size * scale), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), paint);
        using var snapshot = surface.Snapshot();
        Save(path, snapshot, format, 92);
    }

    /// <summary>Decodes a picture into 8-bit grey (for checking what was written).</summary>
    public static (byte[] Grey, int Width, int Height) ReadGrey(string path)
    {
        using var bitmap = SKBitmap.Decode(path) ?? throw new InvalidOperationException($"cannot decode {path}");
        return (MnistCnn.Core.Data.ImagePreprocessor.ToGrey(bitmap), bitmap.Width, bitmap.Height);
    }

    private static void Save(string path, SKImage image, SKEncodedImageFormat format, int quality)
    {
        using var data = image.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>Bounding box of pixels above <paramref name="threshold"/>: (minX, minY, width, height); width 0 when blank.</summary>
    public static (int X, int Y, int Width, int Height) InkBox(byte[] grey, int width, int height, int threshold = 32)
    {
        int minX = width, minY = height, maxX = -1, maxY = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (grey[(y * width) + x] <= threshold) continue;
                minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
            }
        }
        return maxX < 0 ? (0, 0, 0, 0) : (minX, minY, maxX - minX + 1, maxY - minY + 1);
    }

    /// <summary>Centre of mass (x, y) of the pixel values.</summary>
    public static (double X, double Y) CentreOfMass(byte[] grey, int width, int height)
    {
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double v = grey[(y * width) + x];
                mass += v; cx += v * x; cy += v * y;
            }
        }
        return (cx / mass, cy / mass);
    }

    /// <summary>An untrained model with seeded weights (fast; predictions are deterministic but meaningless).</summary>
    public static TrainedModel UntrainedModel(int seed = 3, int classes = 10)
    {
        torch.manual_seed(seed);
        var spec = new ModelSpec(InputShape.Mnist, classes, new LayerSpec[]
        {
            new Conv2DSpec(4, 3, 3), new MaxPool2DSpec(), new FlattenSpec(), new DenseSpec(16), new DenseSpec(classes, Activation.Softmax),
        }, "tiny");
        var names = Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new TrainedModel(new CnnModel(spec), spec, new Preprocessing(), names, "synthetic", torch.CPU);
    }

    /// <summary>Row-major pixels of an example as a fresh array.</summary>
    public static byte[] Pixels(DataSplit split, int index) => split.Image(index).ToArray();
}
