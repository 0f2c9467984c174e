using System.Reflection;

namespace MnistCnn.Core.Diagnostics;

/// <summary>Versions recorded with every run and model, so results are reproducible.</summary>
public static class Versions
{
    /// <summary>This toolkit's version (from Directory.Build.props).</summary>
    public static string Toolkit { get; } =
        typeof(Versions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(Versions).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>TorchSharp's assembly version.</summary>
    public static string TorchSharp { get; } =
        typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>libtorch's version (loads the native library).</summary>
    public static string LibTorch => TorchSharp_torch_version();

    private static string TorchSharp_torch_version() => global::TorchSharp.torch.__version__;
}
