using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Backends;

/// <summary>
/// Makes TorchSharp use a libtorch that is not beside it: the CUDA libtorch of an installed PyTorch
/// (<c>site-packages/torch/lib</c>) on a GPU machine, or the CPU libtorch of the NuGet cache. The libraries are
/// loaded by full path, dependencies first, before TorchSharp's first call. TorchSharp 0.107's loader
/// (<c>torch.LoadNativeBackend</c>) then asks for <c>torch_cuda</c> / <c>torch_cpu</c> and <c>LibTorchSharp</c> by
/// name; the bundle has no libtorch, so the dynamic loader answers those names (and the shim's own
/// <c>libtorch.so</c>, <c>libc10.so</c>, <c>libtorch_cpu.so</c> dependencies) with the libraries already loaded,
/// matched by their sonames. This is the route TorchSharp's loader error message itself suggests for "a Python
/// install of pytorch" (<c>NativeLibrary.Load</c>).
/// </summary>
public static partial class LibTorchPreloader
{
    /// <summary>Load order: each library after the ones it links to. Absent ones (the CUDA ones of a CPU libtorch) are skipped.</summary>
    public static readonly string[] LoadOrder =
    {
        "libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so",
    };

    /// <summary>
    /// What was loaded: the folder, the files in order, the CUDA flag, the version the folder says it is, and the
    /// folder as the process mapped it (symbolic links resolved, as <c>/proc/self/maps</c> shows paths).
    /// </summary>
    public sealed record Loaded(string Folder, IReadOnlyList<string> Files, bool HasCuda, string? Version, string MappedFolder);

    /// <summary>The full path of <paramref name="folder"/> once it is known to hold libtorch; throws <c>LibTorchFolderNotFound</c> or <c>LibTorchNotInFolder</c>.</summary>
    public static string CheckFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new MnistCnnException(BackendsErrorIds.LibTorchFolderNotFound, ErrorKind.ObjectNotFound,
                $"The libtorch folder '{folder}' does not exist. Give the folder holding libtorch_cpu.so, " +
                "e.g. the lib folder of an installed PyTorch: python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))' + /lib.", folder);
        }
        foreach (var required in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            if (!File.Exists(Path.Combine(full, required)))
            {
                throw new MnistCnnException(BackendsErrorIds.LibTorchNotInFolder, ErrorKind.ObjectNotFound,
                    $"'{full}' holds no {required}: it is not a libtorch lib folder. Give the folder with libc10.so, libtorch_cpu.so and libtorch.so " +
                    "(PyTorch: <site-packages>/torch/lib; NuGet: libtorch-cpu-linux-x64/<version>/runtimes/linux-x64/native).", full);
            }
        }
        return full;
    }

    /// <summary>Loads the libtorch in <paramref name="folder"/>; throws <c>LibTorchFolderNotFound</c>, <c>LibTorchNotInFolder</c> or <c>LibTorchLoadFailed</c>.</summary>
    public static Loaded Load(string folder)
    {
        var full = CheckFolder(folder);
        var loaded = new List<string>();
        foreach (var name in LoadOrder)
        {
            var path = Path.Combine(full, name);
            if (!File.Exists(path)) continue;
            try
            {
                NativeLibrary.Load(path);
            }
            catch (DllNotFoundException ex)
            {
                throw new MnistCnnException(BackendsErrorIds.LibTorchLoadFailed, ErrorKind.ResourceUnavailable,
                    $"Could not load {path}: {ex.Message} A library it needs is missing or does not match this system (check it with ldd).", path, ex);
            }
            loaded.Add(path);
        }
        // libc10.so was loaded first, by this full path: where the process mapped it is this folder with every
        // symbolic link resolved (a Python venv's site-packages often sits behind one).
        var mappedFolder = MappedLibraries().TryGetValue("libc10.so", out var c10) ? Path.GetDirectoryName(c10)! : full;
        return new Loaded(full, loaded, loaded.Any(p => p.EndsWith("libtorch_cuda.so", StringComparison.Ordinal)), ReadVersion(full), mappedFolder);
    }

    /// <summary>
    /// The libtorch version a folder says it is: libtorch's <c>build-version</c> beside <c>lib/</c>, a backend cache's
    /// <c>version.txt</c>, PyTorch's <c>torch/version.py</c> beside <c>torch/lib</c>, else a NuGet cache path's
    /// <c>libtorch-*/&lt;version&gt;/</c>; null when none tells.
    /// </summary>
    public static string? ReadVersion(string folder)
    {
        // The libtorch zip distribution's libtorch/build-version beside lib/, or the version.txt our backend cache writes.
        foreach (var file in new[] { Path.Combine(folder, "..", "build-version"), Path.Combine(folder, "version.txt") })
        {
            if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } text && char.IsAsciiDigit(text[0])) return text;
        }
        var versionPy = Path.Combine(folder, "..", "version.py");
        if (File.Exists(versionPy))
        {
            var match = PythonVersion().Match(File.ReadAllText(versionPy));
            if (match.Success) return match.Groups[1].Value;
        }
        var nuget = NuGetVersion().Match(folder.Replace('\\', '/'));
        return nuget.Success ? nuget.Groups[1].Value : null;
    }

    /// <summary>
    /// Where the process mapped each libtorch library from, read from <c>/proc/self/maps</c>: proof of which
    /// libtorch runs, whatever the loader did. Empty where <c>/proc</c> is unavailable.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MappedLibraries()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return result;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0) continue;
            var path = line[slash..].Trim();
            var name = Path.GetFileName(path);
            if (name.StartsWith("libtorch", StringComparison.Ordinal) || name.StartsWith("libc10", StringComparison.Ordinal) ||
                name.StartsWith("libLibTorchSharp", StringComparison.Ordinal) || name.StartsWith("libcudnn", StringComparison.Ordinal) ||
                name.StartsWith("libcudart", StringComparison.Ordinal) || name.StartsWith("libcublas", StringComparison.Ordinal))
            {
                result.TryAdd(name, path);
            }
        }
        return result;
    }

    [GeneratedRegex("""__version__\s*=\s*['"]([^'"]+)['"]""")]
    private static partial Regex PythonVersion();

    [GeneratedRegex(@"/libtorch-[a-z0-9.\-]+-x64/([0-9][0-9.]*)/", RegexOptions.IgnoreCase)]
    private static partial Regex NuGetVersion();
}
