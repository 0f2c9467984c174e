using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Runs;

/// <summary>
/// The one live writer of a run folder: an exclusive OS lock (flock on Linux and macOS, a share-none handle on
/// Windows) on <see cref="RunFiles.Lock"/>, held while the run writes. The operating system drops it when the process
/// ends however it ends (kill -9 included), so a lock left behind never blocks the next run or a resume. A second
/// writer gets <see cref="RunsErrorIds.RunFolderInUse"/> naming the holder (process and host) from <see cref="RunFiles.LockOwner"/>.
/// </summary>
public sealed class RunLock : IDisposable
{
    private FileStream? stream;

    private RunLock(string folder, FileStream stream)
    {
        Folder = folder;
        this.stream = stream;
    }

    /// <summary>The locked run folder (full path).</summary>
    public string Folder { get; }

    /// <summary>Takes the folder's lock or throws <see cref="RunsErrorIds.RunFolderInUse"/>.</summary>
    public static RunLock Acquire(string folder, string purpose)
    {
        if (TryAcquire(folder, purpose, out var held, out var owner)) return held;
        throw InUse(Path.GetFullPath(folder), owner);
    }

    /// <summary>Takes the folder's lock; false (with what is known of the holder) when another writer has it.</summary>
    public static bool TryAcquire(string folder, string purpose, out RunLock held, out LockOwner? owner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        Directory.CreateDirectory(full);
        FileStream stream;
        try
        {
            // FileShare.None is an exclusive, non-blocking flock on Unix: it fails at once while another handle holds it.
            stream = new FileStream(Path.Combine(full, RunFiles.Lock), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException) && !IO.StorageErrors.IsDiskFull(ex))
        {
            held = null!;
            owner = ReadOwner(full);
            return false;
        }
        owner = new LockOwner(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow, purpose);
        try
        {
            IO.AtomicFile.WriteJson(Path.Combine(full, RunFiles.LockOwner), owner.ToJson());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        held = new RunLock(full, stream);
        DropStaleTempFiles(full);
        return true;
    }

    /// <summary>
    /// Deletes what an atomic file write left when its process was killed between writing and moving (the lock holder
    /// is the only writer, so any such file is stale). Temporary folders are replaced by the next write of their folder.
    /// </summary>
    private static void DropStaleTempFiles(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*" + IO.AtomicFile.TempSuffix))
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort.
            }
        }
    }

    /// <summary>Whether another process (or another handle in this one) writes the folder now.</summary>
    public static bool IsHeld(string folder, out LockOwner? owner)
    {
        owner = null;
        var full = Path.GetFullPath(folder);
        if (!File.Exists(Path.Combine(full, RunFiles.Lock))) return false;
        if (!TryAcquire(full, "probe", out var held, out owner)) return true;
        held.Dispose();
        owner = null;
        return false;
    }

    /// <summary>The error a second writer gets.</summary>
    public static MnistCnnException InUse(string folder, LockOwner? owner) => InUse(folder, owner,
        "One run folder has one writer: wait for that run to end (or stop it; its checkpoint is kept), then resume with -ResumeFrom, or write this run to another folder.");

    /// <summary>The error a second writer gets, with what to do about it in <paramref name="remedy"/>.</summary>
    public static MnistCnnException InUse(string folder, LockOwner? owner, string remedy)
    {
        string who = owner is null
            ? "another process"
            : string.Create(CultureInfo.InvariantCulture, $"process {owner.ProcessId} on host {owner.Host} ({owner.Purpose}, since {owner.Since:u})");
        return new MnistCnnException(RunsErrorIds.RunFolderInUse, ErrorKind.ResourceUnavailable,
            $"The run folder '{folder}' is being written by {who}. {remedy}", folder);
    }

    private static LockOwner? ReadOwner(string folder)
    {
        try
        {
            var path = Path.Combine(folder, RunFiles.LockOwner);
            return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject o ? LockOwner.FromJson(o) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (stream is null) return;
        try
        {
            File.Delete(Path.Combine(Folder, RunFiles.LockOwner));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The owner file is only read while the lock is held, so a stale one is harmless.
        }
        stream.Dispose();
        stream = null;
    }
}

/// <summary>Who holds a run folder's lock.</summary>
public sealed record LockOwner(int ProcessId, string Host, DateTimeOffset Since, string Purpose)
{
    public JsonObject ToJson() => new()
    {
        ["pid"] = ProcessId,
        ["host"] = Host,
        ["since"] = Since.ToString("o", CultureInfo.InvariantCulture),
        ["purpose"] = Purpose,
    };

    public static LockOwner FromJson(JsonObject o) => new(
        (int?)o["pid"] ?? 0,
        (string?)o["host"] ?? "unknown host",
        DateTimeOffset.TryParse((string?)o["since"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var since) ? since : DateTimeOffset.MinValue,
        (string?)o["purpose"] ?? "training");
}
