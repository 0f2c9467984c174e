using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Core.Reporting;

/// <summary>Writes picture and report files, turning I/O failures into <c>ReportWriteFailed</c>.</summary>
internal static class PictureFiles
{
    public static void Write(string path, byte[] bytes) => Guard(path, () => File.WriteAllBytes(path, bytes));

    public static void WriteText(string path, string text) =>
        Guard(path, () => File.WriteAllText(path, text, new System.Text.UTF8Encoding(false)));

    /// <summary>The full path of <paramref name="folder"/>, created if missing.</summary>
    public static string Folder(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new MnistCnnException(ReportingErrorIds.ReportFolderInvalid, ErrorKind.InvalidArgument, "The output folder is empty: give the folder to write the pictures to.", folder);
        }
        string full;
        try
        {
            full = Path.GetFullPath(folder);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new MnistCnnException(ReportingErrorIds.ReportFolderInvalid, ErrorKind.InvalidArgument, $"'{folder}' is not a usable folder path: {ex.Message}", folder, ex);
        }
        Guard(full, () => Directory.CreateDirectory(full));
        return full;
    }

    private static void Guard(string path, Action action)
    {
        try
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(parent)) Directory.CreateDirectory(parent);
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            throw new MnistCnnException(ReportingErrorIds.ReportWriteFailed, ErrorKind.ResourceUnavailable,
                $"Could not write '{path}': {ex.Message} Check that the folder exists or can be created and is writable.", path, ex);
        }
    }
}
