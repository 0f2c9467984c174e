using System.Text;
using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.IO;

/// <summary>
/// Writes a file so that readers see either the previous complete version or the new complete one: the text goes to a
/// temporary file beside it (a unique name, so two writers never share one), is flushed to the disk, and is then moved
/// over the target. When anything fails the temporary file is deleted, so no stray <c>*.tmp</c> is ever left; a full
/// disk becomes <see cref="IOErrorIds.DiskFull"/>.
/// </summary>
public static class AtomicFile
{
    public const string TempSuffix = ".tmp";

    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}-{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw StorageErrors.Translate(ex, full);
        }
    }

    // Indented, and NaN/Infinity written as named literals (a diverging validation loss is still a record).
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson(string path, JsonNode json) =>
        WriteAllText(path, (json ?? throw new ArgumentNullException(nameof(json))).ToJsonString(Indented));

    private static void TryDelete(string file)
    {
        try
        {
            if (File.Exists(file)) File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original error matters more.
        }
    }
}

/// <summary>Turns the operating system's "no space left" into one error id that says so.</summary>
public static class StorageErrors
{
    // ENOSPC and EDQUOT on Linux (.NET puts the raw errno in HResult), ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.
    private static readonly int[] DiskFullCodes = [28, 122, unchecked((int)0x80070070), unchecked((int)0x80070027)];

    public static bool IsDiskFull(Exception ex) =>
        ex is IOException io && (DiskFullCodes.Contains(io.HResult) || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase));

    /// <summary>The exception to throw for <paramref name="ex"/>: DiskFull for a full disk, else <paramref name="ex"/> itself.</summary>
    public static Exception Translate(Exception ex, string path)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is MnistCnnException || !IsDiskFull(ex)) return ex;
        return new MnistCnnException(IOErrorIds.DiskFull, ErrorKind.ResourceUnavailable,
            $"The disk is full: '{path}' could not be written ({ex.Message}). Free some space (or write somewhere else) and try again; " +
            "a run keeps its last complete checkpoint, so Start-CnnTraining -ResumeFrom <run folder> continues it.", path, ex);
    }
}
