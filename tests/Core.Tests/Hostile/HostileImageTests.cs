using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Prediction;
using MnistCnn.Core.Tests.Data;
using MnistCnn.Core.Tests.Prediction;
using SkiaSharp;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>Pictures that lie about their size, end early or hold nothing (issue #12).</summary>
public sealed class HostileImageTests : IDisposable
{
    private static readonly Preprocessing Mnist = new();
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = temp.Sub(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A photo-style digit (an L stroke, dark on white) of about 300x300 pixels.</summary>
    private string Digit(string name, SKEncodedImageFormat format)
    {
        var digit = new byte[28 * 28];
        for (int y = 4; y < 24; y++)
        {
            for (int x = 8; x < 20; x++) digit[(y * 28) + x] = (byte)(x < 12 || y > 20 ? 255 : 0);
        }
        string path = temp.Sub(name);
        TestImages.WritePhotoStyle(path, digit, 28, 10, 20, format);
        return path;
    }

    [Theory]
    [InlineData(50_000, 50_000)]
    [InlineData(30_000, 30_000)]
    public void HugeDeclaredSizeIsRefusedFromTheHeaderBeforeDecoding(int width, int height)
    {
        string path = Write($"huge-{width}.png", HostileFiles.PngDeclaring(width, height));
        Assert.True(new FileInfo(path).Length < 100_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(path, Mnist));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("ImageTooLarge", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.Equal(path, error.Target);
        Assert.Contains($"{width}x{height}", error.Message, StringComparison.Ordinal);
        Assert.Contains("-MaxPixelCount", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 50L << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void TheLimitIsAParameterThatCanBeLoweredAndRaised()
    {
        string path = Digit("digit.png", SKEncodedImageFormat.Png);
        var (_, w, h) = TestImages.ReadGrey(path);
        long pixels = (long)w * h;
        var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(path, Mnist, pixels - 1));
        Assert.Equal("ImageTooLarge", error.ErrorId);
        Assert.Equal(ImagePreprocessor.Load(path, Mnist), ImagePreprocessor.Load(path, Mnist, pixels));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, "png")]
    [InlineData(SKEncodedImageFormat.Jpeg, "jpg")]
    public void FirstHalfOfAPictureIsRefusedAsIncomplete(SKEncodedImageFormat format, string extension)
    {
        string whole = Digit("whole." + extension, format);
        Assert.False(ImagePreprocessor.IsBlank(ImagePreprocessor.Load(whole, Mnist)));
        string half = Write("half." + extension, HostileFiles.Truncate(File.ReadAllBytes(whole), 0.5));
        var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(half, Mnist));
        Assert.Equal("ImageIncomplete", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.Equal(half, error.Target);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PictureCutInsideItsHeaderIsIncomplete()
    {
        string whole = Digit("whole2.png", SKEncodedImageFormat.Png);
        string cut = Write("cut.png", File.ReadAllBytes(whole).AsSpan(0, 20).ToArray());
        var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(cut, Mnist));
        Assert.Equal("ImageIncomplete", error.ErrorId);
        Assert.Contains("ends inside its header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeFailureNamesTheFormatsThatWork()
    {
        string path = Write("notes.png", "plain text, no picture"u8.ToArray());
        var error = Assert.Throws<MnistCnnException>(() => ImagePreprocessor.Load(path, Mnist));
        Assert.Equal("ImageDecodeFailed", error.ErrorId);
        Assert.Contains("PNG, JPEG, BMP, GIF or WebP", error.Message, StringComparison.Ordinal);
        // And those formats really do work: the same digit saved as each decodes to ink.
        var digit = Digit("digit.png", SKEncodedImageFormat.Png);
        using var bitmap = SKBitmap.Decode(digit);
        foreach (var (format, ext) in new[] { (SKEncodedImageFormat.Jpeg, "jpg"), (SKEncodedImageFormat.Webp, "webp") })
        {
            string file = temp.Sub("digit." + ext);
            using (var data = bitmap.Encode(format, 95)) File.WriteAllBytes(file, data.ToArray());
            Assert.False(ImagePreprocessor.IsBlank(ImagePreprocessor.Load(file, Mnist)), ext);
        }
        string bmp = Write("digit.bmp", Bmp(bitmap));
        Assert.False(ImagePreprocessor.IsBlank(ImagePreprocessor.Load(bmp, Mnist)));
    }

    [Fact]
    public void BlankPictureIsFlaggedOnItsPrediction()
    {
        var white = Enumerable.Repeat((byte)255, 200 * 150).ToArray();
        string blank = temp.Sub("blank.png");
        TestImages.WriteGrey(blank, white, 200, 150);
        string digit = Digit("digit.png", SKEncodedImageFormat.Png);
        using var model = TestImages.UntrainedModel();
        var results = Predictor.PredictPixels(model, new[]
        {
            (blank, ImagePreprocessor.Load(blank, model.Preprocessing)),
            (digit, ImagePreprocessor.Load(digit, model.Preprocessing)),
        });
        Assert.True(results[0].Blank);
        Assert.False(results[1].Blank);
        Assert.InRange(results[0].Label, 0, 9);
    }

    /// <summary>A 24-bit BMP of a bitmap (SkiaSharp encodes no BMP).</summary>
    private static byte[] Bmp(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height, stride = ((w * 3) + 3) & ~3;
        var bytes = new byte[54 + (stride * h)];
        "BM"u8.CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(2), bytes.Length);
        BitConverter.TryWriteBytes(bytes.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bytes.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bytes.AsSpan(18), w);
        BitConverter.TryWriteBytes(bytes.AsSpan(22), h);
        BitConverter.TryWriteBytes(bytes.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bytes.AsSpan(28), (short)24);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, h - 1 - y);
                int o = 54 + (y * stride) + (x * 3);
                bytes[o] = c.Blue; bytes[o + 1] = c.Green; bytes[o + 2] = c.Red;
            }
        }
        return bytes;
    }
}
