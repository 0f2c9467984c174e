namespace MnistCnn.Core.IO;

/// <summary>
/// Writes a folder so that readers see either the previous complete version or the new complete one: the content
/// is written into <c>&lt;folder&gt;.tmp</c>, the old folder is moved to <c>&lt;folder&gt;.old</c>, the new one moved into
/// place, and only then is the old one deleted. A crash between the two moves leaves the previous version in
/// <c>&lt;folder&gt;.old</c>, where readers that care (checkpoints) look for it. A failed write deletes the temporary
/// folder and keeps the previous version; a full disk becomes <see cref="IOErrorIds.DiskFull"/>.
/// </summary>
public static class AtomicFolder
{
    public const string TempSuffix = ".tmp";
    public const string OldSuffix = ".old";

    public static void Write(string folder, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var full = Path.GetFullPath(folder);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + TempSuffix;
        var old = full + OldSuffix;
        if (Directory.Exists(temp)) Directory.Delete(temp, true);
        // A crash between the two moves below left only the old version: put it back before replacing it.
        if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
        try
        {
            Directory.CreateDirectory(temp);
            fill(temp);
        }
        catch (Exception ex)
        {
            TryDelete(temp);
            var translated = StorageErrors.Translate(ex, full);
            if (!ReferenceEquals(translated, ex)) throw translated;
            throw;
        }
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(temp, full);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original error matters more.
        }
    }
}
