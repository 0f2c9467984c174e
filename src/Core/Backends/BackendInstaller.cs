using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using MnistCnn.Core.Diagnostics;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

namespace MnistCnn.Core.Backends;

/// <summary>
/// Fetches TorchSharp's own libtorch packages (<c>libtorch-cpu-linux-x64</c>, the <c>libtorch-cuda-*</c> ones) through
/// the user's NuGet configuration (NuGet.Config files as <c>dotnet restore</c> sees them; the global packages folder
/// first, so nothing is downloaded when a restore already brought them), verifies them (the global packages folder's
/// SHA-512, the package's signature integrity, the files a backend needs) and unpacks their native libraries into the
/// backend cache. Also registers a libtorch folder the user already has.
/// </summary>
public sealed partial class BackendInstaller
{
    /// <summary>The runtime whose native libraries are unpacked.</summary>
    public const string RuntimeIdentifier = "linux-x64";

    /// <summary>libtorch libraries nothing loads (Python bindings, test backends): left in the package.</summary>
    public static readonly IReadOnlySet<string> Unused = new HashSet<string>(StringComparer.Ordinal)
    {
        "libtorch_python.so", "libjitbackend_test.so", "libtorchbind_test.so", "libbackend_with_compiler.so", "libaoti_custom_ops.so", "libnnapi_backend.so",
    };

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly IReporter reporter;
    private readonly string cacheRoot;
    private readonly ISettings settings;

    /// <param name="reporter">Progress (downloads, unpacking) and verbose lines.</param>
    /// <param name="cacheRoot">The backend cache (<see cref="TorchBackend.CacheRoot"/>).</param>
    /// <param name="settings">NuGet settings; <see cref="LoadNuGetSettings"/> reads the user's.</param>
    public BackendInstaller(IReporter reporter, string cacheRoot, ISettings settings)
    {
        this.reporter = reporter ?? throw new ArgumentNullException(nameof(reporter));
        this.cacheRoot = cacheRoot ?? throw new ArgumentNullException(nameof(cacheRoot));
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
    }

    /// <summary>The NuGet settings <c>dotnet restore</c> would use in <paramref name="workingDirectory"/> (its NuGet.Config files, the user's, the machine's).</summary>
    public static ISettings LoadNuGetSettings(string workingDirectory) => Settings.LoadDefaultSettings(workingDirectory);

    /// <summary>The libraries a backend folder must hold.</summary>
    public static IReadOnlyList<string> RequiredFiles(LibTorchBackendKind kind) => kind == LibTorchBackendKind.Cuda
        ? new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so", "libc10_cuda.so", "libtorch_cuda.so" }
        : new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" };

    /// <summary>
    /// Installs <paramref name="kind"/> into the cache (kept when already there, unless <paramref name="force"/>) and
    /// selects it for new sessions.
    /// </summary>
    public async Task<LibTorchBackend> InstallAsync(LibTorchBackendKind kind, bool force, CancellationToken cancellationToken)
    {
        var target = TorchBackend.InstallFolder(cacheRoot, kind);
        if (!force && ReadInstalled(target) is { } existing)
        {
            reporter.Verbose($"{kind} libtorch {existing.Version} is already in {target}; -Force fetches it again.");
            TorchBackend.Select(cacheRoot, target, existing.Backend);
            return existing;
        }

        var root = kind == LibTorchBackendKind.Cpu
            ? ($"libtorch-cpu-{RuntimeIdentifier}", NuGetVersion.Parse(TorchBackend.LibTorchVersion))
            : await CudaRootPackageAsync(cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(cacheRoot);
        var staging = Path.Combine(cacheRoot, $".staging-{kind.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}");
        var downloads = Path.Combine(cacheRoot, ".downloads");
        var packages = new List<PackageRecord>();
        try
        {
            Directory.CreateDirectory(staging);
            // The root package and every libtorch part package it depends on (the CUDA libraries are split over several).
            var queue = new Queue<(string Id, NuGetVersion Version)>(new[] { root });
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            while (queue.Count > 0)
            {
                var (id, version) = queue.Dequeue();
                if (!seen.Add(id)) continue;
                var acquired = await AcquireAsync(id, version, downloads, cancellationToken).ConfigureAwait(false);
                try
                {
                    using var reader = new PackageArchiveReader(acquired.Path);
                    var signature = await VerifyAsync(reader, id, version, acquired.Path, cancellationToken).ConfigureAwait(false);
                    foreach (var dependency in reader.GetPackageDependencies().SelectMany(g => g.Packages)
                                 .Where(d => d.Id.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase) && d.VersionRange.MinVersion is not null))
                    {
                        queue.Enqueue((dependency.Id, dependency.VersionRange.MinVersion!));
                    }
                    Unpack(reader, id, staging, cancellationToken);
                    packages.Add(new PackageRecord(id, version.ToNormalizedString(), acquired.Sha512, acquired.Source, $"{signature}; {acquired.HashCheck}"));
                }
                finally
                {
                    if (acquired.Downloaded) File.Delete(acquired.Path);
                }
            }
            Stitch(staging);
            var missing = RequiredFiles(kind).Where(f => !File.Exists(Path.Combine(staging, f))).ToList();
            if (missing.Count > 0)
            {
                throw new MnistCnnException(BackendsErrorIds.BackendPackageIncomplete, ErrorKind.InvalidData,
                    $"The packages {string.Join(", ", packages.Select(p => $"{p.Id} {p.Version}"))} lack {string.Join(", ", missing)} under runtimes/{RuntimeIdentifier}/native: " +
                    $"they are not a {kind} libtorch for {RuntimeIdentifier}. Check which packages your NuGet sources serve under these names.", root.Item1);
            }
            File.WriteAllText(Path.Combine(staging, "version.txt"), TorchBackend.LibTorchVersion + "\n");
            var record = new InstalledRecord(kind.ToString(), TorchBackend.LibTorchVersion, packages, DateTime.UtcNow);
            File.WriteAllText(Path.Combine(staging, ManifestFile), JsonSerializer.Serialize(record, JsonOptions));

            // Another process (a Slurm array task with MNISTCNN_INSTALL_BACKEND, say) may have installed it meanwhile:
            // theirs is as good as this one, which the finally block removes, and may already be loaded.
            if (!force && ReadInstalled(target) is not null)
            {
                reporter.Verbose($"{kind} libtorch was installed into {target} by another process meanwhile; using that one.");
            }
            else
            {
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                try
                {
                    Directory.Move(staging, target);
                }
                catch (IOException) when (!force && ReadInstalled(target) is not null)
                {
                    reporter.Verbose($"{kind} libtorch was installed into {target} by another process meanwhile; using that one.");
                }
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            if (Directory.Exists(downloads) && Directory.GetFileSystemEntries(downloads).Length == 0) Directory.Delete(downloads);
        }
        TorchBackend.Select(cacheRoot, target, kind.ToString());
        reporter.Progress(new ProgressInfo("Install-CnnBackend", "Done", 100, Completed: true));
        return ReadInstalled(target)!;
    }

    /// <summary>Registers a libtorch lib folder the user has (an installed PyTorch's torch/lib, an unpacked libtorch) as the backend.</summary>
    public LibTorchBackend Register(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var full = LibTorchPreloader.CheckFolder(folder);
        var version = TorchBackend.CheckVersion(full);
        var backend = File.Exists(Path.Combine(full, "libtorch_cuda.so")) ? nameof(LibTorchBackendKind.Cuda) : nameof(LibTorchBackendKind.Cpu);
        TorchBackend.Select(cacheRoot, full, backend);
        return new LibTorchBackend(backend, version, full, "Path", Array.Empty<string>(), FolderSize(full));
    }

    /// <summary>The backend installed in <paramref name="folder"/> by <see cref="InstallAsync"/>, or null when none is (complete) there.</summary>
    public static LibTorchBackend? ReadInstalled(string folder)
    {
        var manifest = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifest)) return null;
        InstalledRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<InstalledRecord>(File.ReadAllText(manifest));
        }
        catch (JsonException)
        {
            return null;
        }
        if (record is null || !Enum.TryParse<LibTorchBackendKind>(record.Backend, out var kind) || RequiredFiles(kind).Any(f => !File.Exists(Path.Combine(folder, f)))) return null;
        var sources = record.Packages.Select(p => p.Source).Distinct().ToList();
        return new LibTorchBackend(record.Backend, record.Version, folder, sources.Count == 1 ? sources[0] : "Backend cache",
            record.Packages.Select(p => $"{p.Id} {p.Version}").ToList(), FolderSize(folder))
        {
            Verification = record.Packages.Where(p => p.Verification is not null).Select(p => $"{p.Id} {p.Version}: {p.Verification}").ToList(),
        };
    }

    /// <summary>The file in a backend folder that records what it was made from.</summary>
    public const string ManifestFile = "backend.json";

    private sealed record PackageRecord(string Id, string Version, string Sha512, string Source, string? Verification);

    private sealed record InstalledRecord(string Backend, string Version, IReadOnlyList<PackageRecord> Packages, DateTime InstalledUtc);

    private sealed record Acquired(string Path, string Sha512, string Source, bool Downloaded, string HashCheck);

    // TorchSharp-cuda-linux names the libtorch-cuda package (and so the CUDA version) its release was built with.
    private async Task<(string, NuGetVersion)> CudaRootPackageAsync(CancellationToken cancellationToken)
    {
        const string meta = "TorchSharp-cuda-linux";
        var version = NuGetVersion.Parse(TorchBackend.TorchSharpVersion);
        var acquired = await AcquireAsync(meta, version, Path.Combine(cacheRoot, ".downloads"), cancellationToken).ConfigureAwait(false);
        try
        {
            using var reader = new PackageArchiveReader(acquired.Path);
            _ = await VerifyAsync(reader, meta, version, acquired.Path, cancellationToken).ConfigureAwait(false);
            var cuda = reader.GetPackageDependencies().SelectMany(g => g.Packages)
                .FirstOrDefault(d => d.Id.StartsWith("libtorch-cuda-", StringComparison.OrdinalIgnoreCase) && d.Id.EndsWith(RuntimeIdentifier, StringComparison.OrdinalIgnoreCase));
            if (cuda?.VersionRange.MinVersion is not { } cudaVersion)
            {
                throw new MnistCnnException(BackendsErrorIds.BackendPackageIncomplete, ErrorKind.InvalidData,
                    $"{meta} {version} names no libtorch-cuda-*-{RuntimeIdentifier} package, so the CUDA libtorch to fetch is unknown.", meta);
            }
            return (cuda.Id, cudaVersion);
        }
        finally
        {
            if (acquired.Downloaded) File.Delete(acquired.Path);
        }
    }

    // The package from the global packages folder when a restore put it there (hash checked), else downloaded from the
    // first enabled NuGet source that has it.
    private async Task<Acquired> AcquireAsync(string id, NuGetVersion version, string downloads, CancellationToken cancellationToken)
    {
        var globalFolder = SettingsUtility.GetGlobalPackagesFolder(settings);
        var resolver = new VersionFolderPathResolver(globalFolder);
        var cached = resolver.GetPackageFilePath(id, version);
        var hashFile = resolver.GetHashPath(id, version);
        if (File.Exists(cached) && File.Exists(hashFile))
        {
            reporter.Progress(new ProgressInfo("Install-CnnBackend", $"Checking {id} {version} in the NuGet global packages folder", -1));
            var sha = await Sha512Async(cached, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(sha, File.ReadAllText(hashFile).Trim(), StringComparison.Ordinal))
            {
                throw new MnistCnnException(BackendsErrorIds.BackendPackageCorrupt, ErrorKind.InvalidData,
                    $"{cached} does not match the SHA-512 NuGet recorded for it in {hashFile}: the global packages folder copy is damaged. " +
                    $"Delete {Path.GetDirectoryName(cached)} (or run 'dotnet nuget locals global-packages --clear') and run Install-CnnBackend again.", cached);
            }
            reporter.Verbose($"{id} {version}: the NuGet global packages folder's copy ({cached}), SHA-512 as recorded.");
            return new Acquired(cached, sha, "NuGet global packages folder", false, $"SHA-512 {sha} matches the global packages folder's record ({Path.GetFileName(hashFile)})");
        }

        var sources = new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled).ToList();
        if (sources.Count == 0)
        {
            throw new MnistCnnException(BackendsErrorIds.NuGetSourceMissing, ErrorKind.ResourceUnavailable,
                $"{id} {version} is not in the NuGet global packages folder ({globalFolder}) and your NuGet configuration has no enabled package source " +
                "to fetch it from. Add one (dotnet nuget add source ...; see 'dotnet nuget locals all --list' and your NuGet.Config), " +
                "or point Install-CnnBackend -Path at a libtorch you have.", id);
        }
        Directory.CreateDirectory(downloads);
        var problems = new List<string>();
        // DirectDownload: NuGet would otherwise keep a copy of the package in its HTTP cache (a second 125 MB for CPU).
        using var cacheContext = new SourceCacheContext { DirectDownload = true };
        foreach (var source in sources)
        {
            var file = Path.Combine(downloads, $"{id}.{version.ToNormalizedString()}.{Guid.NewGuid():N}.nupkg".ToLowerInvariant());
            try
            {
                var resource = await Repository.Factory.GetCoreV3(source).GetResourceAsync<FindPackageByIdResource>(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("it serves no packages by id");
                bool found;
                using (var stream = new ProgressStream(File.Create(file), bytes => reporter.Progress(new ProgressInfo("Install-CnnBackend",
                           $"Downloading {id} {version} from '{source.Name}': {bytes / (1024 * 1024):N0} MiB", -1))))
                {
                    found = await resource.CopyNupkgToStreamAsync(id, version, stream, cacheContext, NullLogger.Instance, cancellationToken).ConfigureAwait(false);
                }
                if (found)
                {
                    reporter.Progress(new ProgressInfo("Install-CnnBackend", $"Downloaded {id} {version} from '{source.Name}'", -1));
                    reporter.Verbose($"{id} {version}: downloaded from the NuGet source '{source.Name}'.");
                    var sha = await Sha512Async(file, cancellationToken).ConfigureAwait(false);
                    return new Acquired(file, sha, $"NuGet source '{source.Name}'", true, $"SHA-512 {sha} of the download, recorded in {ManifestFile}");
                }
                problems.Add($"'{source.Name}' does not have it");
            }
            catch (OperationCanceledException)
            {
                File.Delete(file);
                throw;
            }
            catch (Exception ex) when (ex is FatalProtocolException or IOException or HttpRequestException or InvalidOperationException)
            {
                problems.Add($"'{source.Name}' failed: {ex.Message}");
            }
            File.Delete(file);
        }
        if (Directory.GetFileSystemEntries(downloads).Length == 0) Directory.Delete(downloads);
        throw new MnistCnnException(BackendsErrorIds.BackendPackageNotFound, ErrorKind.ObjectNotFound,
            $"{id} {version} is not in the NuGet global packages folder ({globalFolder}) and no NuGet source of your configuration gave it " +
            $"({string.Join("; ", problems)}). Add a source that serves TorchSharp's libtorch packages to your NuGet.Config, " +
            "or point Install-CnnBackend -Path at a libtorch you have.", id);
    }

    // The package is the one asked for, and its content matches the hash its signature covers; says which signature.
    private static async Task<string> VerifyAsync(PackageArchiveReader reader, string id, NuGetVersion version, string path, CancellationToken cancellationToken)
    {
        var identity = reader.GetIdentity();
        if (!string.Equals(identity.Id, id, StringComparison.OrdinalIgnoreCase) || identity.Version != version)
        {
            throw new MnistCnnException(BackendsErrorIds.BackendPackageCorrupt, ErrorKind.InvalidData,
                $"{path} says it is {identity.Id} {identity.Version}, not {id} {version}. Remove it and run Install-CnnBackend again.", path);
        }
        if (!await reader.IsSignedAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new MnistCnnException(BackendsErrorIds.BackendPackageUnsigned, ErrorKind.SecurityError,
                $"{id} {version} ({path}) carries no NuGet signature, so its content cannot be checked. TorchSharp's libtorch packages are signed by " +
                "the gallery that serves them; use a source that keeps the signature, or point Install-CnnBackend -Path at a libtorch you trust.", path);
        }
        try
        {
            var signature = await reader.GetPrimarySignatureAsync(cancellationToken).ConfigureAwait(false);
            await reader.ValidateIntegrityAsync(signature!.SignatureContent, cancellationToken).ConfigureAwait(false);
            return $"{signature.Type} signature by {signature.SignerInfo.Certificate?.Subject ?? "an unnamed signer"}: content hash " +
                $"({signature.SignatureContent.HashAlgorithm}) matches the package";
        }
        catch (Exception ex) when (ex is SignatureException or InvalidDataException or CryptographicException)
        {
            throw new MnistCnnException(BackendsErrorIds.BackendPackageCorrupt, ErrorKind.SecurityError,
                $"{id} {version} ({path}) does not match its signature ({ex.Message}): it was changed after signing or is damaged. " +
                "Remove it and run Install-CnnBackend again.", path, ex);
        }
    }

    private void Unpack(PackageArchiveReader reader, string id, string staging, CancellationToken cancellationToken)
    {
        var prefix = $"runtimes/{RuntimeIdentifier}/native/";
        foreach (var entry in reader.GetFiles().Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && f.Length > prefix.Length))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = entry[prefix.Length..];
            if (name.Contains('/', StringComparison.Ordinal) || Unused.Contains(name)) continue;
            reporter.Progress(new ProgressInfo("Install-CnnBackend", $"Unpacking {name} from {id}", -1));
            using var input = reader.GetStream(entry);
            using var output = File.Create(Path.Combine(staging, name));
            input.CopyTo(output);
        }
    }

    /// <summary>
    /// Joins files a package split into <c>name.fragment1</c>, <c>name.fragment2</c>, ... (the CUDA libraries are
    /// larger than a package may be) back into <c>name</c>, checking <c>name.sha</c> (SHA-256, hex) when present.
    /// </summary>
    internal static void Stitch(string folder)
    {
        var groups = Directory.GetFiles(folder).Select(f => (Path: f, Match: Fragment().Match(Path.GetFileName(f))))
            .Where(x => x.Match.Success)
            .GroupBy(x => x.Match.Groups[1].Value, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var whole = Path.Combine(folder, group.Key);
            var parts = group.OrderBy(x => int.Parse(x.Match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).Select(x => x.Path).ToList();
            using (var output = File.Create(whole))
            {
                foreach (var part in parts)
                {
                    using var input = File.OpenRead(part);
                    input.CopyTo(output);
                }
            }
            foreach (var part in parts) File.Delete(part);
            var shaFile = whole + ".sha";
            if (!File.Exists(shaFile)) continue;
            var expected = File.ReadAllText(shaFile).Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            using (var stream = File.OpenRead(whole))
            {
                var actual = Convert.ToHexString(SHA256.HashData(stream));
                if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
                {
                    throw new MnistCnnException(BackendsErrorIds.BackendPackageCorrupt, ErrorKind.InvalidData,
                        $"{group.Key}, joined from {parts.Count} fragments, has SHA-256 {actual} but {Path.GetFileName(shaFile)} says {expected}: a part package is damaged. " +
                        "Run Install-CnnBackend -Force to fetch them again.", whole);
                }
            }
            File.Delete(shaFile);
        }
    }

    private static async Task<string> Sha512Async(string path, CancellationToken cancellationToken)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToBase64String(await SHA512.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static long FolderSize(string folder) => new DirectoryInfo(folder).EnumerateFiles().Sum(f => f.Length);

    [GeneratedRegex(@"^(.+)\.fragment(\d+)$")]
    private static partial Regex Fragment();

    // Counts what is written, for download progress (NuGet gives no total size), at most every 4 MiB.
    private sealed class ProgressStream(Stream inner, Action<long> progress) : Stream
    {
        private long written;
        private long reported;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => written;
        public override long Position { get => written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Count(buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Count(buffer.Length);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private void Count(int bytes)
        {
            written += bytes;
            if (written - reported < 4 * 1024 * 1024) return;
            reported = written;
            progress(written);
        }
    }
}
