namespace MnistCnn.Core.Diagnostics;

/// <summary>Reads the current git commit from a folder's repository without running git.</summary>
public static class GitInfo
{
    /// <summary>The commit checked out in the git repository holding <paramref name="directory"/>, read from .git without running git.</summary>
    public static string? Commit(string? directory = null)
    {
        try
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(directory ?? Directory.GetCurrentDirectory())); dir is not null; dir = dir.Parent)
            {
                string dotGit = Path.Combine(dir.FullName, ".git");
                string? gitDir = Directory.Exists(dotGit) ? dotGit : null;
                if (gitDir is null && File.Exists(dotGit))
                {
                    string text = File.ReadAllText(dotGit).Trim();
                    if (text.StartsWith("gitdir:", StringComparison.Ordinal)) gitDir = Path.GetFullPath(text[7..].Trim(), dir.FullName);
                }
                if (gitDir is null) continue;
                string commonDir = gitDir;
                string commonFile = Path.Combine(gitDir, "commondir");
                if (File.Exists(commonFile)) commonDir = Path.GetFullPath(File.ReadAllText(commonFile).Trim(), gitDir);
                string head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
                if (!head.StartsWith("ref:", StringComparison.Ordinal)) return IsSha(head) ? head : null;
                string name = head[4..].Trim();
                foreach (var root in new[] { gitDir, commonDir })
                {
                    string refFile = Path.Combine(root, name.Replace('/', Path.DirectorySeparatorChar));
                    if (File.Exists(refFile)) return File.ReadAllText(refFile).Trim() is var sha && IsSha(sha) ? sha : null;
                }
                string packed = Path.Combine(commonDir, "packed-refs");
                if (File.Exists(packed))
                {
                    foreach (var line in File.ReadLines(packed))
                    {
                        var parts = line.Split(' ', 2);
                        if (parts.Length == 2 && parts[1] == name && IsSha(parts[0])) return parts[0];
                    }
                }
                return null;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static bool IsSha(string s) => s.Length is 40 or 64 && s.All(char.IsAsciiHexDigit);
}
