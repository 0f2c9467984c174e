using System.Security.Cryptography;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;
using NuGet.Configuration;
using NuGet.Packaging;

namespace MnistCnn.Core.Tests.Backends;

/// <summary>
/// Choosing and checking a libtorch, and fetching one through NuGet: here against a local folder feed and a global
/// packages folder made in the test (with isolated NuGet settings), so nothing touches the network or the user's caches.
/// The real libtorch package is installed from this machine's NuGet configuration by tests/Module/Package.Tests.ps1.
/// </summary>
public sealed class BackendTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mnistcnn-backend-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string feed;
    private readonly string globalPackages;
    private readonly string cacheRoot;

    public BackendTests()
    {
        feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        globalPackages = Directory.CreateDirectory(Path.Combine(root, "global packages")).FullName;
        cacheRoot = Path.Combine(root, "cache", "libtorch");
    }

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private ISettings NuGetSettings(bool withSource = true)
    {
        var config = Path.Combine(root, "NuGet.Config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{globalPackages}" /></config>
              <packageSources><clear />{(withSource ? $"""<add key="local feed" value="{feed}" />""" : "")}</packageSources>
            </configuration>
            """);
        return Settings.LoadSpecificSettings(root, "NuGet.Config");
    }

    private BackendInstaller Installer(bool withSource = true) => new(NullReporter.Instance, cacheRoot, NuGetSettings(withSource));

    // An unsigned package with the given native files, written to the feed.
    private string MakePackage(string id, string version, params string[] nativeFiles)
    {
        var builder = new PackageBuilder { Id = id, Version = NuGet.Versioning.NuGetVersion.Parse(version), Description = "test libtorch" };
        builder.Authors.Add("tests");
        var content = Directory.CreateDirectory(Path.Combine(root, "content", id)).FullName;
        foreach (var name in nativeFiles)
        {
            var file = Path.Combine(content, name);
            File.WriteAllText(file, "not really " + name);
            builder.Files.Add(new PhysicalPackageFile { SourcePath = file, TargetPath = $"runtimes/linux-x64/native/{name}" });
        }
        var path = Path.Combine(feed, $"{id}.{version}.nupkg");
        using (var stream = File.Create(path)) builder.Save(stream);
        return path;
    }

    private string FakeLibTorch(string name, string? versionPy)
    {
        var lib = Directory.CreateDirectory(Path.Combine(root, name, "torch", "lib")).FullName;
        foreach (var file in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }) File.WriteAllText(Path.Combine(lib, file), "");
        if (versionPy is not null) File.WriteAllText(Path.Combine(root, name, "torch", "version.py"), $"__version__ = '{versionPy}'\n");
        return lib;
    }

    [Theory]
    [InlineData("2.10.0", true)]
    [InlineData("2.10", true)]
    [InlineData("2.10.1+cu128", true)]
    [InlineData("2.1.0", false)]
    [InlineData("2.11.0+cu130", false)]
    [InlineData("3", false)]
    public void OnlyLibTorch210MatchesTorchSharp0107(string version, bool compatible) =>
        Assert.Equal(compatible, TorchBackend.IsCompatible(version));

    [Fact]
    public void AVersionThatDoesNotMatchIsRefusedSayingWhichIsNeeded()
    {
        var lib = FakeLibTorch("pytorch-2.11", "2.11.0+cu130");
        var ex = Assert.Throws<MnistCnnException>(() => TorchBackend.CheckVersion(lib));
        Assert.Equal("LibTorchVersionMismatch", ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, ex.Kind);
        Assert.Contains("2.11.0+cu130", ex.Message, StringComparison.Ordinal);
        Assert.Contains("needs libtorch 2.10", ex.Message, StringComparison.Ordinal);

        Assert.Equal("2.10.1+cpu", TorchBackend.CheckVersion(FakeLibTorch("pytorch-2.10", "2.10.1+cpu")));
    }

    [Fact]
    public void AFolderThatDoesNotSayItsVersionIsRefusedSayingHowToTellIt()
    {
        var lib = FakeLibTorch("unknown", null);
        var ex = Assert.Throws<MnistCnnException>(() => TorchBackend.CheckVersion(lib));
        Assert.Equal("LibTorchVersionUnknown", ex.ErrorId);
        Assert.Contains(Path.Combine(lib, "version.txt"), ex.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(lib, "version.txt"), "2.10.0\n");
        Assert.Equal("2.10.0", TorchBackend.CheckVersion(lib));
        // libtorch's own zip has libtorch/build-version beside lib/.
        var zipLib = Directory.CreateDirectory(Path.Combine(root, "libtorch", "lib")).FullName;
        File.WriteAllText(Path.Combine(root, "libtorch", "build-version"), "2.10.0+cpu\n");
        Assert.Equal("2.10.0+cpu", LibTorchPreloader.ReadVersion(zipLib));
    }

    [Fact]
    public void TheBundledLibTorchComesFirstThenTheVariableThenTheSelection()
    {
        var bundled = Directory.CreateDirectory(Path.Combine(root, "module")).FullName;
        var empty = Directory.CreateDirectory(Path.Combine(root, "module-without-libtorch")).FullName;
        string? NoVariable(string _) => null;
        string? Variable(string name) => name == TorchBackend.FolderVariable ? "/opt/torch/lib" : null;

        Assert.Null(TorchBackend.Choose(empty, cacheRoot, NoVariable));
        TorchBackend.Select(cacheRoot, "/srv/cache/cpu-2.10.0", "Cpu");
        Assert.Equal(("/srv/cache/cpu-2.10.0", "Installed"), TorchBackend.Choose(empty, cacheRoot, NoVariable));
        Assert.Equal(("/opt/torch/lib", "Environment"), TorchBackend.Choose(empty, cacheRoot, Variable));
        File.WriteAllText(Path.Combine(bundled, "libtorch_cpu.so"), "");
        Assert.Equal((bundled, "Bundled"), TorchBackend.Choose(bundled, cacheRoot, Variable));
    }

    [Fact]
    public void ADamagedSelectionFileSaysHowToRewriteIt()
    {
        Directory.CreateDirectory(cacheRoot);
        File.WriteAllText(Path.Combine(cacheRoot, TorchBackend.SelectionFileName), "{ not json");
        var ex = Assert.Throws<MnistCnnException>(() => TorchBackend.ReadSelection(cacheRoot));
        Assert.Equal("BackendSelectionInvalid", ex.ErrorId);
        Assert.Contains("Install-CnnBackend", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCacheLivesUnderTheToolkitsCacheRoot()
    {
        string? Env(string name) => name == "MNISTCNN_CACHE_DIR" ? "/tmp/x" : null;
        Assert.Equal(Path.Combine("/tmp/x", "libtorch"), TorchBackend.CacheRoot(Env));
        Assert.Equal(Path.Combine("/c", "cuda-2.10.0"), TorchBackend.InstallFolder("/c", LibTorchBackendKind.Cuda));
    }

    [Fact]
    public void RegisteringAFolderChecksItAndSelectsIt()
    {
        var installer = Installer();
        var missing = Assert.Throws<MnistCnnException>(() => installer.Register(Path.Combine(root, "nowhere")));
        Assert.Equal("LibTorchFolderNotFound", missing.ErrorId);
        var wrong = Assert.Throws<MnistCnnException>(() => installer.Register(FakeLibTorch("old", "2.5.1")));
        Assert.Equal("LibTorchVersionMismatch", wrong.ErrorId);
        Assert.Null(TorchBackend.ReadSelection(cacheRoot));

        var good = FakeLibTorch("good", "2.10.0");
        var backend = installer.Register(good);
        Assert.Equal(("Cpu", "2.10.0", good, "Path"), (backend.Backend, backend.Version, backend.Folder, backend.Source));
        Assert.Equal(good, TorchBackend.ReadSelection(cacheRoot));
    }

    [Fact]
    public async Task AnUnsignedPackageIsRefusedAndNothingIsInstalled()
    {
        MakePackage("libtorch-cpu-linux-x64", TorchBackend.LibTorchVersion, "libc10.so", "libtorch_cpu.so", "libtorch.so");
        var ex = await Assert.ThrowsAsync<MnistCnnException>(() => Installer().InstallAsync(LibTorchBackendKind.Cpu, false, CancellationToken.None));
        Assert.Equal("BackendPackageUnsigned", ex.ErrorId);
        Assert.Equal(ErrorKind.SecurityError, ex.Kind);
        Assert.False(Directory.Exists(TorchBackend.InstallFolder(cacheRoot, LibTorchBackendKind.Cpu)));
        Assert.Null(TorchBackend.ReadSelection(cacheRoot));
        Assert.Empty(Directory.GetFileSystemEntries(cacheRoot));
    }

    [Fact]
    public async Task APackageNoSourceHasIsNotFoundNamingTheSources()
    {
        var ex = await Assert.ThrowsAsync<MnistCnnException>(() => Installer().InstallAsync(LibTorchBackendKind.Cpu, false, CancellationToken.None));
        Assert.Equal("BackendPackageNotFound", ex.ErrorId);
        Assert.Contains("'local feed' does not have it", ex.Message, StringComparison.Ordinal);
        Assert.Contains("libtorch-cpu-linux-x64 2.10.0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAnyNuGetSourceTheErrorSaysToAddOne()
    {
        var ex = await Assert.ThrowsAsync<MnistCnnException>(() => Installer(withSource: false).InstallAsync(LibTorchBackendKind.Cpu, false, CancellationToken.None));
        Assert.Equal("NuGetSourceMissing", ex.ErrorId);
        Assert.Contains("dotnet nuget add source", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGlobalPackagesFolderCopyThatDoesNotMatchItsHashIsCorrupt()
    {
        var made = MakePackage("libtorch-cpu-linux-x64", TorchBackend.LibTorchVersion, "libc10.so");
        var resolver = new VersionFolderPathResolver(globalPackages);
        var nupkg = resolver.GetPackageFilePath("libtorch-cpu-linux-x64", NuGet.Versioning.NuGetVersion.Parse(TorchBackend.LibTorchVersion));
        Directory.CreateDirectory(Path.GetDirectoryName(nupkg)!);
        File.Copy(made, nupkg);
        File.WriteAllText(resolver.GetHashPath("libtorch-cpu-linux-x64", NuGet.Versioning.NuGetVersion.Parse(TorchBackend.LibTorchVersion)),
            Convert.ToBase64String(SHA512.HashData("something else"u8)));
        var ex = await Assert.ThrowsAsync<MnistCnnException>(() => Installer().InstallAsync(LibTorchBackendKind.Cpu, false, CancellationToken.None));
        Assert.Equal("BackendPackageCorrupt", ex.ErrorId);
        Assert.Contains("dotnet nuget locals global-packages --clear", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FragmentsAreJoinedAndCheckedAgainstTheirSha()
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "fragments")).FullName;
        byte[] whole = [.. Enumerable.Range(0, 3000).Select(i => (byte)i)];
        File.WriteAllBytes(Path.Combine(folder, "libtorch_cuda.so.fragment2"), whole[1000..2000]);
        File.WriteAllBytes(Path.Combine(folder, "libtorch_cuda.so.fragment1"), whole[..1000]);
        File.WriteAllBytes(Path.Combine(folder, "libtorch_cuda.so.fragment10"), whole[2000..]);
        File.WriteAllText(Path.Combine(folder, "libtorch_cuda.so.sha"), Convert.ToHexString(SHA256.HashData(whole)).ToLowerInvariant());
        BackendInstaller.Stitch(folder);
        Assert.Equal(whole, File.ReadAllBytes(Path.Combine(folder, "libtorch_cuda.so")));
        Assert.Equal(new[] { "libtorch_cuda.so" }, Directory.GetFiles(folder).Select(Path.GetFileName));

        File.WriteAllBytes(Path.Combine(folder, "libc10_cuda.so.fragment1"), whole[..10]);
        File.WriteAllText(Path.Combine(folder, "libc10_cuda.so.sha"), new string('0', 64));
        var ex = Assert.Throws<MnistCnnException>(() => BackendInstaller.Stitch(folder));
        Assert.Equal("BackendPackageCorrupt", ex.ErrorId);
    }

    [Fact]
    public void WithoutABackendTheErrorSaysToRunInstallCnnBackend()
    {
        // The test process has libtorch beside TorchSharp (a developer build), so only the message is checked here;
        // tests/Module/Package.Tests.ps1 meets the error in the installed module.
        var ex = TorchBackend.NotInstalled(cacheRoot, null);
        Assert.Equal("BackendNotInstalled", ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
        Assert.Contains("Install-CnnBackend -Backend Cpu", ex.Message, StringComparison.Ordinal);
        Assert.Contains(TorchBackend.FolderVariable, ex.Message, StringComparison.Ordinal);
    }
}
