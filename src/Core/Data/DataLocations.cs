namespace MnistCnn.Core.Data;

/// <summary>Where each dataset is looked for and downloaded from (see docs/data.md).</summary>
public static class DataLocations
{
    /// <summary>Environment variable naming a folder with the four MNIST files.</summary>
    public const string MnistDirVariable = "MNIST_DATA_DIR";
    /// <summary>Environment variable naming a folder with the four Fashion-MNIST files.</summary>
    public const string FashionDirVariable = "FASHION_MNIST_DATA_DIR";
    /// <summary>Environment variable overriding the cache root.</summary>
    public const string CacheDirVariable = "MNISTCNN_CACHE_DIR";

    /// <summary>The folder name of a dataset in the cache, and of Fashion-MNIST under MNIST_DATA_DIR.</summary>
    public static string FolderName(DatasetKind kind) => kind == DatasetKind.FashionMnist ? "fashion-mnist" : "mnist";

    /// <summary>Human name: "MNIST" or "Fashion-MNIST".</summary>
    public static string DisplayName(DatasetKind kind) => kind == DatasetKind.FashionMnist ? "Fashion-MNIST" : "MNIST";

    /// <summary>
    /// MNISTCNN_CACHE_DIR if set; on Windows %LOCALAPPDATA%\mnistcnn; elsewhere $XDG_CACHE_HOME/mnistcnn or
    /// ~/.cache/mnistcnn.
    /// </summary>
    public static string DefaultCacheRoot(Func<string, string?>? environment = null)
    {
        string? Env(string name) => (environment ?? Environment.GetEnvironmentVariable)(name) is { Length: > 0 } v ? v : null;
        if (Env(CacheDirVariable) is { } explicitRoot) return Path.GetFullPath(explicitRoot);
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "mnistcnn");
        }
        if (Env("XDG_CACHE_HOME") is { } xdg && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "mnistcnn");
        string home = Env("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "mnistcnn");
    }

    /// <summary>The data's public homes: the PyTorch (ossci) and CVDF mirrors of MNIST, Zalando's bucket for Fashion-MNIST.</summary>
    public static IReadOnlyList<Uri> DefaultMirrors(DatasetKind kind) => kind == DatasetKind.FashionMnist
        ? new[]
        {
            new Uri("https://fashion-mnist.s3.eu-central-1.amazonaws.com/"),
            new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        }
        : new[]
        {
            new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        };

    /// <summary>Folders where system packages install the data: Debian's dataset-fashion-mnist for Fashion-MNIST.</summary>
    public static IReadOnlyList<string> DefaultSystemFolders(DatasetKind kind) => kind == DatasetKind.FashionMnist && !OperatingSystem.IsWindows()
        ? new[] { "/usr/share/datasets/fashion-mnist" }
        : Array.Empty<string>();
}
