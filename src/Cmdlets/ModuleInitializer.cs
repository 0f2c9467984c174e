using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using MnistCnn.Core.Backends;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Runs when Import-Module loads the module: refuses, with a clear message, an operating system or processor
/// the module's native libraries (libtorch, TorchSharp's shim, SkiaSharp) were not built for, instead of failing
/// later with a loader error deep inside the first cmdlet.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    /// <summary>The runtime identifier the build laid the native libraries out for (assembly metadata from MSBuild).</summary>
    public static string? BuiltFor =>
        typeof(ModuleInitializer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RuntimeIdentifier")?.Value is { Length: > 0 } rid ? rid : null;

    public void OnImport()
    {
        if (BuiltFor is { } rid && CheckPlatform(rid, RuntimeInformation.RuntimeIdentifier) is { } problem)
        {
            throw new PlatformNotSupportedException(problem);
        }
        // The chosen libtorch is loaded now, before anything can touch TorchSharp. Without one (or with a broken one) the
        // import still succeeds, so that Install-CnnBackend can be run; the cmdlets that need libtorch then report why.
        try
        {
            TorchBackend.EnsureLoaded();
        }
        catch (MnistCnnException)
        {
        }
    }

    /// <summary>Null when a process on <paramref name="current"/> can load natives built for <paramref name="builtFor"/>; else why not.</summary>
    public static string? CheckPlatform(string builtFor, string current)
    {
        ArgumentNullException.ThrowIfNull(builtFor);
        ArgumentNullException.ThrowIfNull(current);
        static (string Os, string Arch) Split(string rid)
        {
            int dash = rid.LastIndexOf('-');
            return dash < 0 ? (rid, "") : (rid[..dash], rid[(dash + 1)..]);
        }
        var (builtOs, builtArch) = Split(builtFor);
        var (os, arch) = Split(current);
        // linux-musl-x64 cannot load glibc libraries; other distribution-specific names (debian.12-x64) are glibc Linux.
        bool sameOs = string.Equals(builtOs, os, StringComparison.OrdinalIgnoreCase) ||
            (builtOs == "linux" && os.Contains('.', StringComparison.Ordinal) && !os.Contains("musl", StringComparison.OrdinalIgnoreCase) &&
             !os.StartsWith("osx", StringComparison.OrdinalIgnoreCase) && !os.StartsWith("win", StringComparison.OrdinalIgnoreCase));
        if (sameOs && string.Equals(builtArch, arch, StringComparison.OrdinalIgnoreCase)) return null;
        return $"MnistCnn {typeof(ModuleInitializer).Assembly.GetName().Version?.ToString(3)} carries native libraries (libtorch, TorchSharp, SkiaSharp) " +
            $"for {builtFor} only, and this PowerShell runs on {current}. Install the module on a {builtFor} machine; " +
            "no package for other platforms exists yet.";
    }
}
