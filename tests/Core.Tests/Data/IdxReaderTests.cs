using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using static MnistCnn.TestKit.DataTestFiles;

namespace MnistCnn.Core.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string WriteFile(string name, byte[] bytes)
    {
        string path = temp.Sub(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static MnistCnnException Expect(string errorId, Action action)
    {
        var e = Assert.Throws<MnistCnnException>(action);
        Assert.Equal(errorId, e.ErrorId);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        var images = Images(3, 5, 4);
        var labels = Labels(3);
        string imagesPath = WriteFile(gzip ? "i.gz" : "i", gzip ? Gzip(images) : images);
        string labelsPath = WriteFile(gzip ? "l.gz" : "l", gzip ? Gzip(labels) : labels);

        var idx = IdxReader.ReadImages(imagesPath);
        Assert.Equal(new[] { 3, 5, 4 }, idx.Dimensions);
        Assert.Equal(images.AsSpan(16).ToArray(), idx.Data);
        Assert.Equal(gzip, idx.Compressed);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(images)), idx.ContentSha256);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(imagesPath))), idx.Sha256);

        var split = IdxReader.ToSplit("train", idx, IdxReader.ReadLabels(labelsPath));
        Assert.Equal("3x5x4", split.Shape);
        Assert.Equal(labels.AsSpan(8).ToArray(), split.Labels);
        Assert.Equal(images.AsSpan(16 + 20, 20).ToArray(), split.Image(1).ToArray());
    }

    [Fact]
    public void GzipIsDetectedByContentNotName()
    {
        string path = WriteFile("labels-without-extension", Gzip(Labels(7)));
        var idx = IdxReader.ReadLabels(path);
        Assert.True(idx.Compressed);
        Assert.Equal(7, idx.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LabelsFileWhereImagesAreExpectedIsBadMagic(bool gzip)
    {
        var labels = Labels(4);
        string path = WriteFile(gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte", gzip ? Gzip(labels) : labels);
        var e = Expect(DataErrorIds.IdxBadMagic, () => IdxReader.ReadImages(path));
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Equal(path, e.Target);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000801", e.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000803", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GarbageIsBadMagic()
    {
        string path = WriteFile("t10k-labels-idx1-ubyte", "<html>not found</html>"u8.ToArray());
        Expect(DataErrorIds.IdxBadMagic, () => IdxReader.ReadLabels(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FewerBytesThanTheHeaderPromisesIsTruncated(bool gzip)
    {
        var images = Images(10, 28, 28);
        var cut = images.AsSpan(0, images.Length - 100).ToArray();
        string path = WriteFile(gzip ? "x.gz" : "x", gzip ? Gzip(cut) : cut);
        var e = Expect(DataErrorIds.IdxTruncated, () => IdxReader.ReadImages(path));
        Assert.Contains("10 images of 28x28", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderCutShortIsTruncated()
    {
        string path = WriteFile("x", Images(2, 3, 3).AsSpan(0, 10).ToArray());
        Expect(DataErrorIds.IdxTruncated, () => IdxReader.ReadImages(path));
        string tiny = WriteFile("y", new byte[] { 0, 0 });
        Expect(DataErrorIds.IdxTruncated, () => IdxReader.ReadLabels(tiny));
    }

    [Fact]
    public void EmptyRawFileIsTruncated()
    {
        string path = WriteFile("train-labels-idx1-ubyte", Array.Empty<byte>());
        Expect(DataErrorIds.IdxTruncated, () => IdxReader.ReadLabels(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MoreBytesThanTheHeaderPromisesIsTrailingData(bool gzip)
    {
        var labels = Labels(5).Concat(new byte[] { 1, 2, 3 }).ToArray();
        string path = WriteFile(gzip ? "x.gz" : "x", gzip ? Gzip(labels) : labels);
        Expect(DataErrorIds.IdxTrailingData, () => IdxReader.ReadLabels(path));
    }

    [Fact]
    public void EmptyGzipFileIsBadGzip()
    {
        string path = WriteFile("train-images-idx3-ubyte.gz", Array.Empty<byte>());
        var e = Expect(DataErrorIds.IdxBadGzip, () => IdxReader.ReadImages(path));
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonGzipBytesInGzFileIsBadGzip()
    {
        string path = WriteFile("train-images-idx3-ubyte.gz", Images(2, 3, 3));
        Expect(DataErrorIds.IdxBadGzip, () => IdxReader.ReadImages(path));
    }

    [Fact]
    public void CorruptDeflateDataIsBadGzip()
    {
        // Random pixels do not compress, so this byte lands in the payload; only the gzip CRC-32 can notice it.
        var gz = Gzip(Images(50, 28, 28));
        gz[gz.Length / 2] ^= 0x5A;
        string path = WriteFile("train-images-idx3-ubyte.gz", gz);
        Expect(DataErrorIds.IdxBadGzip, () => IdxReader.ReadImages(path));
    }

    [Fact]
    public void GzipCutShortIsRejected()
    {
        var gz = Gzip(Images(50, 28, 28));
        string path = WriteFile("train-images-idx3-ubyte.gz", gz.AsSpan(0, gz.Length / 2).ToArray());
        var e = Assert.Throws<MnistCnnException>(() => IdxReader.ReadImages(path));
        Assert.Contains(e.ErrorId, new[] { DataErrorIds.IdxTruncated, DataErrorIds.IdxBadGzip });
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
    }

    [Fact]
    public void ZeroDimensionIsBadDimensions()
    {
        string path = WriteFile("x", Idx(IdxReader.ImagesMagic, new[] { 3, 0, 28 }, Array.Empty<byte>()));
        Expect(DataErrorIds.IdxBadDimensions, () => IdxReader.ReadImages(path));
    }

    [Fact]
    public void HugeDimensionsAreRejectedWithoutAllocating()
    {
        string path = WriteFile("x.gz", Gzip(Idx(IdxReader.ImagesMagic, new[] { 1_000_000, 28, 28 }, new byte[100])));
        Expect(DataErrorIds.IdxTruncated, () => IdxReader.ReadImages(path));
        string huge = WriteFile("y", Idx(IdxReader.ImagesMagic, new[] { int.MaxValue, 1000, 1000 }, new byte[10]));
        Expect(DataErrorIds.IdxBadDimensions, () => IdxReader.ReadImages(huge));
    }

    [Fact]
    public void CountMismatchBetweenImagesAndLabels()
    {
        var images = IdxReader.Parse(Images(5, 4, 4), "a-images", IdxReader.ImagesMagic);
        var labels = IdxReader.Parse(Labels(6), "a-labels", IdxReader.LabelsMagic);
        var e = Expect(DataErrorIds.IdxCountMismatch, () => IdxReader.ToSplit("train", images, labels));
        Assert.Contains("5 images", e.Message, StringComparison.Ordinal);
        Assert.Contains("6 labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelOutsideZeroToNineIsBadLabel()
    {
        var images = IdxReader.Parse(Images(3, 4, 4), "i", IdxReader.ImagesMagic);
        var labels = IdxReader.Parse(Idx(IdxReader.LabelsMagic, new[] { 3 }, new byte[] { 1, 12, 3 }), "l", IdxReader.LabelsMagic);
        var e = Expect(DataErrorIds.IdxBadLabel, () => IdxReader.ToSplit("train", images, labels));
        Assert.Contains("label 12 at index 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsDataFileMissing()
    {
        string path = temp.Sub("nope-idx1-ubyte");
        var e = Expect(DataErrorIds.DataFileMissing, () => IdxReader.ReadLabels(path));
        Assert.Equal(ErrorKind.ObjectNotFound, e.Kind);
        Assert.Equal(path, e.Target);
    }
}
