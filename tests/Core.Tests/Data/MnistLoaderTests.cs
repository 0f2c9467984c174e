using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using static MnistCnn.TestKit.DataTestFiles;

namespace MnistCnn.Core.Tests.Data;

public sealed class MnistLoaderTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static MnistCnnException Expect(string errorId, Action action)
    {
        var e = Assert.Throws<MnistCnnException>(action);
        Assert.Equal(errorId, e.ErrorId);
        return e;
    }

    [SkippableFact]
    public void RealMnistHasTheKnownShapesAndLabelCounts()
    {
        string? folder = RealMnistFolder();
        Skip.If(folder is null, NoRealData);
        var reporter = new RecordingReporter();

        var data = new MnistLoader(reporter).Load(DatasetKind.Mnist, folder, Isolated(temp.Sub("cache")));

        Assert.Equal("60000x28x28", data.Train.Shape);
        Assert.Equal("10000x28x28", data.Test.Shape);
        Assert.Equal(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, data.Train.LabelCounts());
        Assert.Equal(10000, data.Test.LabelCounts().Sum());
        Assert.Equal(5, data.Train.Labels[0]);
        Assert.Equal(7, data.Test.Labels[0]);
        Assert.Equal(Path.GetFullPath(folder!), data.Source);
        Assert.True(data.ChecksumsVerified);
        Assert.Equal(4, data.Checksums.Count);
        foreach (var (file, sha) in data.Checksums)
        {
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(folder!, file)))), sha);
        }
        Assert.Empty(reporter.Warnings);
        Assert.False(Directory.Exists(temp.Sub("cache")), "loading from a folder must not write the cache");
    }

    [SkippableFact]
    public void RealMnistGzipAndRawGiveIdenticalData()
    {
        string? folder = RealMnistFolder();
        Skip.If(folder is null, NoRealData);
        string raw = temp.Sub("raw");
        Directory.CreateDirectory(raw);
        foreach (var (name, path) in MnistLoader.FindFiles(folder!))
        {
            File.WriteAllBytes(Path.Combine(raw, name), Gunzip(File.ReadAllBytes(path!)));
        }

        var fromGz = new MnistLoader().Load(DatasetKind.Mnist, folder, Isolated(temp.Sub("cache")));
        var fromRaw = new MnistLoader().Load(DatasetKind.Mnist, raw, Isolated(temp.Sub("cache")));

        Assert.Equal(fromGz.Train.Pixels, fromRaw.Train.Pixels);
        Assert.Equal(fromGz.Train.Labels, fromRaw.Train.Labels);
        Assert.Equal(fromGz.Test.Pixels, fromRaw.Test.Pixels);
        Assert.Equal(fromGz.Test.Labels, fromRaw.Test.Labels);
        Assert.True(fromRaw.ChecksumsVerified);
        Assert.Contains("train-images-idx3-ubyte", fromRaw.Checksums.Keys);
        Assert.Contains("train-images-idx3-ubyte.gz", fromGz.Checksums.Keys);
        Assert.Equal(KnownChecksums.Content(DatasetKind.Mnist, "train-images-idx3-ubyte"), fromRaw.Checksums["train-images-idx3-ubyte"]);
    }

    [SkippableFact]
    public void MnistDataDirIsUsedWhenNoPathIsGiven()
    {
        string? folder = RealMnistFolder();
        Skip.If(folder is null, NoRealData);
        var options = Isolated(temp.Sub("cache"), new Dictionary<string, string> { ["MNIST_DATA_DIR"] = folder! });

        var data = new MnistLoader().Load(DatasetKind.Mnist, null, options);

        Assert.Equal(Path.GetFullPath(folder!), data.Source);
        Assert.Equal(60000, data.Train.Count);
    }

    [SkippableFact]
    public void MnistFilesLoadedAsFashionAreFlagged()
    {
        string? folder = RealMnistFolder();
        Skip.If(folder is null, NoRealData);
        var reporter = new RecordingReporter();
        var data = new MnistLoader(reporter).Load(DatasetKind.FashionMnist, folder, Isolated(temp.Sub("cache")));
        Assert.False(data.ChecksumsVerified);
        Assert.Contains(reporter.Warnings, w => w.Contains("are MNIST, not Fashion-MNIST", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CustomFolderLoadsWithItsChecksumsRecorded(bool gzip)
    {
        var files = SmallSet();
        Write(temp.Sub("custom"), files, gzip);
        var reporter = new RecordingReporter();

        var data = new MnistLoader(reporter).Load(DatasetKind.Mnist, temp.Sub("custom"), Isolated(temp.Sub("cache")));

        Assert.Equal("6x5x4", data.Train.Shape);
        Assert.Equal("4x5x4", data.Test.Shape);
        Assert.Equal(files[KnownChecksums.TrainLabels].AsSpan(8).ToArray(), data.Train.Labels);
        Assert.False(data.ChecksumsVerified);
        string suffix = gzip ? ".gz" : "";
        Assert.Equal(Names.Select(n => n + suffix).Order(), data.Checksums.Keys.Order());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(temp.Sub("custom/train-labels-idx1-ubyte" + suffix)))),
            data.Checksums["train-labels-idx1-ubyte" + suffix]);
        Assert.Equal(temp.Sub("custom/train-images-idx3-ubyte" + suffix), data.Train.ImagesFile);
        Assert.Empty(reporter.Warnings);
        Assert.Contains(reporter.Verboses, v => v.Contains("custom IDX dataset", StringComparison.Ordinal));
    }

    [Fact]
    public void GzipIsPreferredWhenBothFormsExist()
    {
        string folder = temp.Sub("both");
        Write(folder, SmallSet(), gzip: true);
        Write(folder, SmallSet(trainCount: 2, testCount: 2), gzip: false);
        var data = new MnistLoader().Load(DatasetKind.Mnist, folder, Isolated(temp.Sub("cache")));
        Assert.Equal(6, data.Train.Count);
        Assert.All(data.Checksums.Keys, k => Assert.EndsWith(".gz", k, StringComparison.Ordinal));
    }

    [Fact]
    public void MissingFolderIsDataFolderNotFound()
    {
        var e = Expect(DataErrorIds.DataFolderNotFound, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("absent"), Isolated(temp.Sub("cache"))));
        Assert.Equal(ErrorKind.ObjectNotFound, e.Kind);
        Assert.Contains(temp.Sub("absent"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileGivenAsPathIsDataFolderNotFound()
    {
        Write(temp.Sub("f"), SmallSet(), gzip: false);
        var e = Expect(DataErrorIds.DataFolderNotFound, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("f/train-images-idx3-ubyte"), Isolated(temp.Sub("cache"))));
        Assert.Contains("is a file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        string folder = temp.Sub("partial");
        var files = SmallSet();
        files.Remove(KnownChecksums.TestLabels);
        Write(folder, files, gzip: true);
        var e = Expect(DataErrorIds.DataFileMissing, () => new MnistLoader().Load(DatasetKind.Mnist, folder, Isolated(temp.Sub("cache"))));
        Assert.Equal(ErrorKind.ObjectNotFound, e.Kind);
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("lacks train", e.Message, StringComparison.Ordinal);
        Assert.Contains("-Path", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFolderIsDataFileMissing()
    {
        Directory.CreateDirectory(temp.Sub("empty"));
        Expect(DataErrorIds.DataFileMissing, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("empty"), Isolated(temp.Sub("cache"))));
    }

    [Fact]
    public void ImagesAndLabelsCountMismatchInAFolder()
    {
        var files = SmallSet();
        files[KnownChecksums.TestLabels] = Labels(5);
        Write(temp.Sub("m"), files, gzip: true);
        var e = Expect(DataErrorIds.IdxCountMismatch, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("m"), Isolated(temp.Sub("cache"))));
        Assert.Contains("t10k-labels-idx1-ubyte.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainAndTestImageSizesMustAgree()
    {
        var files = SmallSet();
        files[KnownChecksums.TestImages] = Images(4, 6, 4);
        Write(temp.Sub("d"), files, gzip: false);
        var e = Expect(DataErrorIds.IdxBadDimensions, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("d"), Isolated(temp.Sub("cache"))));
        Assert.Contains("5x4", e.Message, StringComparison.Ordinal);
        Assert.Contains("6x4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SwappedImagesAndLabelsAreBadMagic()
    {
        var files = SmallSet();
        (files[KnownChecksums.TrainImages], files[KnownChecksums.TrainLabels]) = (files[KnownChecksums.TrainLabels], files[KnownChecksums.TrainImages]);
        Write(temp.Sub("s"), files, gzip: true);
        var e = Expect(DataErrorIds.IdxBadMagic, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("s"), Isolated(temp.Sub("cache"))));
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Contains("MNIST_DATA_DIR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedFileInAFolderIsTruncated()
    {
        var files = SmallSet();
        files[KnownChecksums.TrainImages] = files[KnownChecksums.TrainImages][..^7];
        Write(temp.Sub("t"), files, gzip: false);
        Expect(DataErrorIds.IdxTruncated, () => new MnistLoader().Load(DatasetKind.Mnist, temp.Sub("t"), Isolated(temp.Sub("cache"))));
    }

    [Fact]
    public void FashionLooksInItsVariableThenUnderMnistDataDir()
    {
        Write(temp.Sub("mnist/fashion-mnist"), SmallSet(trainCount: 3), gzip: true);
        Write(temp.Sub("fashion"), SmallSet(trainCount: 2), gzip: true);
        var env = new Dictionary<string, string> { ["MNIST_DATA_DIR"] = temp.Sub("mnist") };

        var nested = new MnistLoader().Load(DatasetKind.FashionMnist, null, Isolated(temp.Sub("cache"), env));
        Assert.Equal(3, nested.Train.Count);
        Assert.Equal(DatasetKind.FashionMnist, nested.Kind);
        Assert.Equal("Trouser", nested.ClassNames[1]);

        env["FASHION_MNIST_DATA_DIR"] = temp.Sub("fashion");
        var direct = new MnistLoader().Load(DatasetKind.FashionMnist, null, Isolated(temp.Sub("cache"), env));
        Assert.Equal(2, direct.Train.Count);
    }

    [Fact]
    public void FashionSystemFolderIsSearched()
    {
        Write(temp.Sub("usr-share"), SmallSet(trainCount: 4), gzip: true);
        var options = Isolated(temp.Sub("cache")) with { SystemFolders = new[] { temp.Sub("nowhere"), temp.Sub("usr-share") } };
        var data = new MnistLoader().Load(DatasetKind.FashionMnist, null, options);
        Assert.Equal(4, data.Train.Count);
        Assert.Equal(temp.Sub("usr-share"), data.Source);
    }

    [SkippableFact]
    public void DebianFashionMnistPackageMatchesTheKnownChecksums()
    {
        const string folder = "/usr/share/datasets/fashion-mnist";
        Skip.IfNot(Directory.Exists(folder), $"{folder} is absent (install Debian's dataset-fashion-mnist to run this).");
        var data = new MnistLoader().Load(DatasetKind.FashionMnist, folder, Isolated(temp.Sub("cache")));
        Assert.True(data.ChecksumsVerified);
        Assert.Equal("60000x28x28", data.Train.Shape);
        Assert.All(data.Train.LabelCounts(), c => Assert.Equal(6000, c));
    }

    [Fact]
    public void PartialEnvironmentFolderIsAnError()
    {
        var files = SmallSet();
        files.Remove(KnownChecksums.TrainImages);
        Write(temp.Sub("env"), files, gzip: false);
        var env = new Dictionary<string, string> { ["MNIST_DATA_DIR"] = temp.Sub("env") };
        var e = Expect(DataErrorIds.DataFileMissing, () => new MnistLoader().Load(DatasetKind.Mnist, null, Isolated(temp.Sub("cache"), env)));
        Assert.Contains("MNIST_DATA_DIR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingAnywhereWithDownloadsOffIsDataUnavailable()
    {
        var env = new Dictionary<string, string> { ["MNIST_DATA_DIR"] = temp.Sub("not-there") };
        var reporter = new RecordingReporter();
        var options = Isolated(temp.Sub("cache"), env) with { AllowDownload = false };

        var e = Expect(DataErrorIds.DataUnavailable, () => new MnistLoader(reporter).Load(DatasetKind.Mnist, null, options));

        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains("MNIST_DATA_DIR", e.Message, StringComparison.Ordinal);
        Assert.Contains("-Path", e.Message, StringComparison.Ordinal);
        Assert.Contains(temp.Sub("cache"), e.Message, StringComparison.Ordinal);
        Assert.Contains(reporter.Warnings, w => w.Contains(temp.Sub("not-there"), StringComparison.Ordinal));
    }

    [SkippableFact]
    public void CacheRootFollowsTheEnvironment()
    {
        Skip.If(OperatingSystem.IsWindows(), "The XDG layout is for Linux and macOS.");
        Assert.Equal("/c/mnistcnn", DataLocations.DefaultCacheRoot(n => n == "XDG_CACHE_HOME" ? "/c" : null));
        Assert.Equal("/h/.cache/mnistcnn", DataLocations.DefaultCacheRoot(n => n == "HOME" ? "/h" : null));
        Assert.Equal("/x", DataLocations.DefaultCacheRoot(n => n switch { "MNISTCNN_CACHE_DIR" => "/x", "XDG_CACHE_HOME" => "/c", _ => null }));
        Assert.Equal("/r/fashion-mnist", MnistLoader.CacheFolder(DatasetKind.FashionMnist, new DataLoadOptions { CacheRoot = "/r" }));
    }
}
