using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Reporting;
using SkiaSharp;

namespace MnistCnn.Core.Tests.Reporting;

public class ImageGridTests
{
    /// <summary>Every image pixel must be an exact scale x scale block of grey = pixel value at the reported origin.</summary>
    private static void AssertExact(SKBitmap bitmap, DataSplit split, int index, (int X, int Y) origin, int scale)
    {
        var image = split.Image(index).ToArray();
        for (int y = 0; y < split.Height; y++)
        {
            for (int x = 0; x < split.Width; x++)
            {
                byte expected = image[y * split.Width + x];
                for (int dy = 0; dy < scale; dy++)
                {
                    for (int dx = 0; dx < scale; dx++)
                    {
                        var c = bitmap.GetPixel(origin.X + x * scale + dx, origin.Y + y * scale + dy);
                        if (c.Red != expected || c.Green != expected || c.Blue != expected || c.Alpha != 255)
                        {
                            Assert.Fail($"Image {index} pixel ({x},{y}) sub ({dx},{dy}): expected grey {expected}, got {c}.");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void SampleGridDrawsEveryPixelExactlyAsGreyOnBlack()
    {
        var split = Fakes.Split(12);
        var indices = new[] { 0, 5, 7, 11 };
        var picture = ImageGrid.Samples(split, indices, null, new ImageGridOptions { Scale = 3, Columns = 2 });

        Assert.True(Fakes.IsPng(picture.Png));
        using var bitmap = Fakes.Decode(picture.Png);
        Assert.Equal(picture.Width, bitmap.Width);
        Assert.Equal(picture.Height, bitmap.Height);
        Assert.Equal(4, picture.ImageOrigins.Count);
        Assert.True(bitmap.Width >= 2 * 28 * 3 && bitmap.Height >= 2 * 28 * 3);
        for (int i = 0; i < indices.Length; i++) AssertExact(bitmap, split, indices[i], picture.ImageOrigins[i], 3);
        // Two columns: the second image is to the right of the first, the third below it.
        Assert.True(picture.ImageOrigins[1].X > picture.ImageOrigins[0].X + 28 * 3);
        Assert.True(picture.ImageOrigins[2].Y > picture.ImageOrigins[0].Y + 28 * 3);
    }

    [Fact]
    public void SampleGridCaptionsAndTitleAreDrawnAsText()
    {
        var split = Fakes.Split(9);
        var picture = ImageGrid.Samples(split, ImageSelection.First(split, 9), MnistDataset.ClassNamesOf(DatasetKind.FashionMnist),
            new ImageGridOptions { Scale = 2, Title = "Fashion samples" });
        using var bitmap = Fakes.Decode(picture.Png);
        var (x, y) = picture.ImageOrigins[0];
        // Under the first image: its caption lines ("T-shirt/top", "#0").
        Assert.True(Fakes.DarkPixels(bitmap, x - 20, y + 28 * 2 + 1, x + 28 * 2 + 20, y + 28 * 2 + 36) > 40, "no caption text under the first image");
        // Above the first row: the title.
        Assert.True(Fakes.DarkPixels(bitmap, 0, 0, bitmap.Width, y - 1) > 40, "no title text");
        // A 3x3 grid by default for 9 images.
        Assert.Equal(picture.ImageOrigins[0].X, picture.ImageOrigins[3].X);
        Assert.True(picture.ImageOrigins[2].X > picture.ImageOrigins[1].X);
    }

    [Fact]
    public void CaptionTextDependsOnTheLabel()
    {
        var split = Fakes.Split(2);
        var digits = ImageGrid.Samples(split, new[] { 1 }, null, new ImageGridOptions { Scale = 1 });
        var fashion = ImageGrid.Samples(split, new[] { 1 }, MnistDataset.ClassNamesOf(DatasetKind.FashionMnist), new ImageGridOptions { Scale = 1 });
        // "Trouser" is wider than "1": the cell and the picture grow to fit it.
        Assert.True(fashion.Width > digits.Width);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void SingleImageIsTheExactPixelsScaled(int scale)
    {
        var split = Fakes.Split(3);
        var png = ImageGrid.Single(split, 2, scale);
        using var bitmap = Fakes.Decode(png);
        Assert.Equal(28 * scale, bitmap.Width);
        Assert.Equal(28 * scale, bitmap.Height);
        AssertExact(bitmap, split, 2, (0, 0), scale);
    }

    [Fact]
    public void SingleFileNamesCarryIndexAndLabel()
    {
        var split = Fakes.Split(50);
        Assert.Equal("test-00042-2.png", ImageGrid.SingleFileName(split, 42));
        var fashion = MnistDataset.ClassNamesOf(DatasetKind.FashionMnist);
        Assert.Equal("test-00000-T-shirt-top.png", ImageGrid.SingleFileName(split, 0, fashion));
        Assert.Equal("test-00009-Ankle-boot.png", ImageGrid.SingleFileName(split, 9, fashion));
    }

    [Fact]
    public void WriteSinglesWritesOneDecodablePngPerIndex()
    {
        using var temp = new Fakes.TempFolder();
        var split = Fakes.Split(20);
        var paths = ImageGrid.WriteSingles(Path.Combine(temp.Path, "digits"), split, new[] { 3, 17 }, null, scale: 2);
        Assert.Equal(new[] { "test-00003-3.png", "test-00017-7.png" }, paths.Select(Path.GetFileName));
        using var bitmap = Fakes.Decode(paths[1]);
        AssertExact(bitmap, split, 17, (0, 0), 2);
    }

    [Fact]
    public void RandomSelectionIsSeededDistinctAndInRange()
    {
        var split = Fakes.Split(100);
        var a = ImageSelection.Random(split, 10, seed: 7);
        var b = ImageSelection.Random(split, 10, seed: 7);
        var c = ImageSelection.Random(split, 10, seed: 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(10, a.Distinct().Count());
        Assert.All(a, i => Assert.InRange(i, 0, 99));
        Assert.Equal(100, ImageSelection.Random(split, 500, seed: 1).Distinct().Count());
        Assert.Equal(new[] { 0, 1, 2 }, ImageSelection.First(split, 3));
    }

    [Fact]
    public void BadSelectionsFailWithStableIds()
    {
        var split = Fakes.Split(5);
        Assert.Equal("ImageIndexOutOfRange", Assert.Throws<MnistCnnException>(() => ImageGrid.Samples(split, new[] { 0, 5 })).ErrorId);
        Assert.Equal("ImageIndexOutOfRange", Assert.Throws<MnistCnnException>(() => ImageGrid.Single(split, -1)).ErrorId);
        Assert.Equal("ImageCountInvalid", Assert.Throws<MnistCnnException>(() => ImageSelection.First(split, 0)).ErrorId);
        Assert.Equal("ImageSelectionEmpty", Assert.Throws<MnistCnnException>(() => ImageGrid.Samples(split, Array.Empty<int>())).ErrorId);
        Assert.Equal("ImageScaleInvalid", Assert.Throws<MnistCnnException>(() => ImageGrid.Samples(split, new[] { 1 }, null, new ImageGridOptions { Scale = 0 })).ErrorId);
        Assert.Equal("ImageScaleInvalid", Assert.Throws<MnistCnnException>(() => ImageGrid.Single(split, 1, 33)).ErrorId);
    }

    [SkippableFact]
    public void RealMnistTestSamplesAreDrawnExactly()
    {
        var folder = DataTestFiles.RealMnistFolder();
        Skip.If(folder is null, DataTestFiles.NoRealData);
        var test = new MnistLoader().Load(DatasetKind.Mnist, folder).Test;
        Assert.Equal(10_000, test.Count);
        Assert.Equal(7, test.Labels[0]);
        var picture = ImageGrid.Samples(test, ImageSelection.First(test, 9), MnistDataset.ClassNamesOf(DatasetKind.Mnist));
        using var bitmap = Fakes.Decode(picture.Png);
        for (int i = 0; i < 9; i++) AssertExact(bitmap, test, i, picture.ImageOrigins[i], 4);
        // The first test digit (a 7) has white strokes: its brightest pixel is drawn as 255 somewhere.
        Assert.Contains((byte)255, test.Image(0).ToArray());
    }
}
