using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tests.Data;

namespace MnistCnn.Core.Tests.Hostile;

/// <summary>IDX files whose headers promise far more than they hold, or than their partner file (issue #12).</summary>
public sealed class HostileIdxTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void GzipBombWithAMismatchedCountIsRefusedFromTheHeadersBeforeInflating()
    {
        // 2.5 million 28x28 images (1.96 GB once inflated) beside 60,000 labels: the headers disagree, so nothing
        // of the payload may be inflated. The payload here is 64 MB of zeros (64 KB of gzip) to keep the test quick;
        // allocation must stay far below even that.
        string folder = temp.Sub("bomb");
        Directory.CreateDirectory(folder);
        HostileFiles.WriteGzipIdx(Path.Combine(folder, KnownChecksums.TrainImages + ".gz"), IdxReader.ImagesMagic, new[] { 2_500_000, 28, 28 }, 64L << 20);
        File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TrainLabels + ".gz"), DataTestFiles.Gzip(DataTestFiles.Labels(60_000)));
        File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TestImages), DataTestFiles.Images(10, 28, 28));
        File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TestLabels), DataTestFiles.Labels(10));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.Mnist, folder));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(DataErrorIds.IdxCountMismatch, error.ErrorId);
        Assert.Contains("2500000 images", error.Message, StringComparison.Ordinal);
        Assert.Contains("60000 labels", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8L << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void TrainAndTestImageSizesAreComparedBeforeInflating()
    {
        string folder = temp.Sub("sizes");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TrainImages), DataTestFiles.Images(10, 28, 28));
        File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TrainLabels), DataTestFiles.Labels(10));
        HostileFiles.WriteGzipIdx(Path.Combine(folder, KnownChecksums.TestImages + ".gz"), IdxReader.ImagesMagic, new[] { 10, 4000, 4000 }, 1 << 20);
        File.WriteAllBytes(Path.Combine(folder, KnownChecksums.TestLabels), DataTestFiles.Labels(10));
        var error = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.Mnist, folder));
        Assert.Equal(DataErrorIds.IdxBadDimensions, error.ErrorId);
        Assert.Contains("4000x4000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LyingHeaderCostsOnlyWhatTheStreamHolds()
    {
        // The header promises 1.96 GB; the stream holds 3 MB that do not compress (so the ratio check cannot
        // refuse it up front). The reader must find the end while inflating, without allocating the promise.
        string path = temp.Sub("liar-images-idx3-ubyte.gz");
        HostileFiles.WriteGzipIdx(path, IdxReader.ImagesMagic, new[] { 2_500_000, 28, 28 }, 3L << 20, random: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<MnistCnnException>(() => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(DataErrorIds.IdxTruncated, error.ErrorId);
        Assert.Contains("ends after 3145728", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64L << 20, $"allocated {allocated} bytes for a 3 MB stream");
    }

    [Fact]
    public void HeaderIsReadWithoutThePayload()
    {
        string path = temp.Sub("h-images-idx3-ubyte.gz");
        HostileFiles.WriteGzipIdx(path, IdxReader.ImagesMagic, new[] { 100, 28, 28 }, 100 * 28 * 28);
        var header = IdxReader.ReadHeader(path, IdxReader.ImagesMagic);
        Assert.Equal(new[] { 100, 28, 28 }, header.Dimensions);
        Assert.Equal(100 * 28 * 28, header.PayloadBytes);
        var wrong = Assert.Throws<MnistCnnException>(() => IdxReader.ReadHeader(path, IdxReader.LabelsMagic));
        Assert.Equal(DataErrorIds.IdxBadMagic, wrong.ErrorId);
    }
}
