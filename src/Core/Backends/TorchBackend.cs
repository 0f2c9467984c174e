using System.Text.Json;
using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Backends;

/// <summary>The libtorch flavours <c>Install-CnnBackend</c> can fetch.</summary>
public enum LibTorchBackendKind
{
    Cpu,
    Cuda,
}

/// <summary>A libtorch the module can use: installed in the backend cache, or a folder the user registered.</summary>
/// <param name="Backend">Cpu or Cuda (a registered folder with <c>libtorch_cuda.so</c> is Cuda).</param>
/// <param name="Version">The libtorch version the folder says it is.</param>
/// <param name="Folder">The folder holding <c>libtorch_cpu.so</c> and the rest.</param>
/// <param name="Source">Where it came from: "NuGet global packages folder", "NuGet source 'name'", "Backend cache" or "Path".</param>
/// <param name="Packages">The NuGet packages it was made from ("id version"); empty for a registered folder.</param>
/// <param name="SizeBytes">What the folder's files take on disk.</param>
public sealed record LibTorchBackend(string Backend, string Version, string Folder, string Source, IReadOnlyList<string> Packages, long SizeBytes)
{
    /// <summary>What was checked of each package it was made from ("id version: signature ...; SHA-512 ..."); empty for a registered folder.</summary>
    public IReadOnlyList<string> Verification { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Which libtorch this process uses, and loading it before TorchSharp does. The module package carries
/// TorchSharp's shim (<c>libLibTorchSharp.so</c>) but not libtorch: libtorch comes from the backend cache
/// (<c>Install-CnnBackend</c>), from <see cref="FolderVariable"/>, or, in a developer build, from beside
/// TorchSharp.dll. TorchSharp's loader asks for <c>torch_cpu</c>/<c>torch_cuda</c> and <c>LibTorchSharp</c> by name;
/// libraries already loaded by full path (<see cref="LibTorchPreloader"/>) answer those names.
/// </summary>
public static class TorchBackend
{
    /// <summary>The libtorch TorchSharp 0.107 is built against.</summary>
    public const string LibTorchVersion = "2.10.0";
    /// <summary>The TorchSharp version whose CUDA package names the libtorch-cuda packages.</summary>
    public const string TorchSharpVersion = "0.107.0";
    /// <summary>Environment variable naming a libtorch lib folder to use instead of the installed backend.</summary>
    public const string FolderVariable = "MNISTCNN_LIBTORCH";
    /// <summary>The file in the cache root naming the backend folder in use.</summary>
    public const string SelectionFileName = "selected.json";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    // Native libraries are process-wide: once loaded they stay, so which folder was loaded is process-wide too.
    private static readonly Lock Gate = new();
    private static string? loadedFolder;

    /// <summary>The folder libtorch was loaded from in this process (the module folder for a developer build); null before.</summary>
    public static string? LoadedFolder
    {
        get { lock (Gate) return loadedFolder; }
    }

    /// <summary>The backend cache: <c>&lt;cache root&gt;/libtorch</c> (~/.cache/mnistcnn/libtorch; MNISTCNN_CACHE_DIR moves it).</summary>
    public static string CacheRoot(Func<string, string?>? environment = null) => Path.Combine(DataLocations.DefaultCacheRoot(environment), "libtorch");

    /// <summary>The cache folder of a fetched backend: <c>cpu-2.10.0</c>, <c>cuda-2.10.0</c>.</summary>
    public static string InstallFolder(string cacheRoot, LibTorchBackendKind kind) =>
        Path.Combine(cacheRoot, $"{kind.ToString().ToLowerInvariant()}-{LibTorchVersion}");

    /// <summary>The folder of TorchSharp.dll: a developer build keeps libtorch there.</summary>
    public static string TorchSharpFolder => Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) ?? AppContext.BaseDirectory;

    /// <summary>True when libtorch sits beside TorchSharp.dll (the developer build): TorchSharp finds it by itself.</summary>
    public static bool IsBundled(string torchSharpFolder) =>
        File.Exists(Path.Combine(torchSharpFolder, "libtorch_cpu.so")) || File.Exists(Path.Combine(torchSharpFolder, "libtorch_cuda.so"));

    /// <summary>
    /// The libtorch folder this process would use, and why: beside TorchSharp ("Bundled"), <see cref="FolderVariable"/>
    /// ("Environment"), or the cache's selection ("Installed"); null when there is none.
    /// </summary>
    public static (string Folder, string Origin)? Choose(string torchSharpFolder, string cacheRoot, Func<string, string?>? environment = null)
    {
        if (IsBundled(torchSharpFolder)) return (torchSharpFolder, "Bundled");
        if ((environment ?? Environment.GetEnvironmentVariable)(FolderVariable) is { Length: > 0 } variable) return (Path.GetFullPath(variable), "Environment");
        return ReadSelection(cacheRoot) is { } selected ? (selected, "Installed") : null;
    }

    /// <summary>The folder the cache's selection file names, or null when there is no selection.</summary>
    public static string? ReadSelection(string cacheRoot)
    {
        var file = Path.Combine(cacheRoot, SelectionFileName);
        if (!File.Exists(file)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            return document.RootElement.TryGetProperty("folder", out var folder) && folder.GetString() is { Length: > 0 } path ? path : null;
        }
        catch (JsonException ex)
        {
            throw new MnistCnnException(BackendsErrorIds.BackendSelectionInvalid, ErrorKind.InvalidData,
                $"{file} is not valid JSON ({ex.Message}). Run Install-CnnBackend again to rewrite it.", file, ex);
        }
    }

    /// <summary>Makes <paramref name="folder"/> the backend new sessions load (the cache's selection file, written atomically).</summary>
    public static void Select(string cacheRoot, string folder, string backend)
    {
        Directory.CreateDirectory(cacheRoot);
        var file = Path.Combine(cacheRoot, SelectionFileName);
        var temporary = file + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new Dictionary<string, string> { ["folder"] = folder, ["backend"] = backend }, JsonOptions));
        File.Move(temporary, file, overwrite: true);
    }

    /// <summary>
    /// Checks that <paramref name="folder"/> is a libtorch of the version TorchSharp expects (2.10); returns the version.
    /// Throws <c>LibTorchVersionUnknown</c> or <c>LibTorchVersionMismatch</c>.
    /// </summary>
    public static string CheckVersion(string folder)
    {
        var version = LibTorchPreloader.ReadVersion(folder) ?? throw new MnistCnnException(BackendsErrorIds.LibTorchVersionUnknown, ErrorKind.InvalidData,
            $"Cannot tell which libtorch version '{folder}' holds: there is no build-version or version.txt in it or beside it, no PyTorch torch/version.py " +
            $"beside it, and it is not in a NuGet libtorch package folder. TorchSharp {TorchSharpVersion} needs libtorch {ExpectedMajorMinor}; if this is one, " +
            $"write its version (e.g. {LibTorchVersion}) into '{Path.Combine(folder, "version.txt")}'.", folder);
        if (!IsCompatible(version))
        {
            throw new MnistCnnException(BackendsErrorIds.LibTorchVersionMismatch, ErrorKind.InvalidData,
                $"'{folder}' holds libtorch {version}, but TorchSharp {TorchSharpVersion} needs libtorch {ExpectedMajorMinor} (its functions differ between " +
                $"versions, so another one crashes or fails to load). Use a PyTorch {ExpectedMajorMinor}.x install's torch/lib, or run Install-CnnBackend -Backend Cpu|Cuda.", folder);
        }
        return version;
    }

    /// <summary>"2.10": the part of the version that must match.</summary>
    public static string ExpectedMajorMinor => string.Join('.', LibTorchVersion.Split('.').Take(2));

    /// <summary>True for 2.10, 2.10.0, 2.10.1+cu128 and the like.</summary>
    public static bool IsCompatible(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var parts = version.Split('+')[0].Split('.');
        return parts.Length >= 2 && $"{parts[0]}.{parts[1]}" == ExpectedMajorMinor;
    }

    /// <summary>
    /// Loads the chosen libtorch into this process once, before anything touches TorchSharp. Throws
    /// <c>BackendNotInstalled</c> when there is none, or the loader's and version check's errors.
    /// </summary>
    public static void EnsureLoaded(Func<string, string?>? environment = null)
    {
        lock (Gate)
        {
            if (loadedFolder is not null) return;
            var cacheRoot = CacheRoot(environment);
            var choice = Choose(TorchSharpFolder, cacheRoot, environment) ?? throw NotInstalled(cacheRoot, null);
            if (choice.Origin == "Bundled")
            {
                loadedFolder = choice.Folder;
                return;
            }
            if (choice.Origin == "Installed" && !Directory.Exists(choice.Folder)) throw NotInstalled(cacheRoot, choice.Folder);
            CheckVersion(choice.Folder);
            loadedFolder = LibTorchPreloader.Load(choice.Folder).Folder;
        }
    }

    internal static MnistCnnException NotInstalled(string cacheRoot, string? missingFolder) => new(BackendsErrorIds.BackendNotInstalled, ErrorKind.ResourceUnavailable,
        (missingFolder is null
            ? "No libtorch is installed for MnistCnn: the module package leaves it out (it is hundreds of megabytes, gigabytes for CUDA). "
            : $"The libtorch folder selected in {Path.Combine(cacheRoot, SelectionFileName)} ('{missingFolder}') is gone. ") +
        "Run 'Install-CnnBackend -Backend Cpu' (or -Backend Cuda for NVIDIA GPUs) once, or point it at a libtorch " +
        $"{ExpectedMajorMinor} you have with 'Install-CnnBackend -Path <torch/lib folder>' or the {FolderVariable} environment variable. " +
        $"Unattended (CI, MSBuild, Slurm, pwsh -NonInteractive), set {BackendFirstUse.InstallVariable}=cpu (or cuda) and the first cmdlet that needs " +
        "libtorch installs it without asking.",
        missingFolder ?? cacheRoot);
}
