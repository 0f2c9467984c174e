namespace MnistCnn.Core.Diagnostics;

/// <summary>Reads the current git commit from a folder's repository without running git.</summary>
public static class GitInfo
{
    /// <summary>The commit hash HEAD points at in the repository containing <paramref name="folder"/>, or null.</summary>
    public static string? Commit(string? folder = null)
    {
        try
        {
            var dir = new DirectoryInfo(Path.GetFullPath(folder ?? Directory.GetCurrentDirectory()));
            while (dir is not null)
            {
                var git = Path.Combine(dir.FullName, ".git");
                if (File.Exists(git))
                {
                    // A worktree or submodule: ".git" is a file pointing at the real git dir.
                    var line = File.ReadAllText(git).Trim();
                    if (line.StartsWith("gitdir:", StringComparison.Ordinal))
                    {
                        git = Path.GetFullPath(Path.Combine(dir.FullName, line["gitdir:".Length..].Trim()));
                    }
                }
                if (Directory.Exists(git)) return ReadHead(git);
                dir = dir.Parent;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static string? ReadHead(string gitDir)
    {
        var headPath = Path.Combine(gitDir, "HEAD");
        if (!File.Exists(headPath)) return null;
        var head = File.ReadAllText(headPath).Trim();
        if (!head.StartsWith("ref:", StringComparison.Ordinal)) return IsHash(head) ? head : null;
        var reference = head["ref:".Length..].Trim();
        // Worktrees keep refs in the common dir.
        var common = File.Exists(Path.Combine(gitDir, "commondir"))
            ? Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(Path.Combine(gitDir, "commondir")).Trim()))
            : gitDir;
        foreach (var root in new[] { gitDir, common })
        {
            var refFile = Path.Combine(root, reference);
            if (File.Exists(refFile))
            {
                var hash = File.ReadAllText(refFile).Trim();
                return IsHash(hash) ? hash : null;
            }
            var packed = Path.Combine(root, "packed-refs");
            if (File.Exists(packed))
            {
                foreach (var line in File.ReadLines(packed))
                {
                    if (line.EndsWith(" " + reference, StringComparison.Ordinal)) return line[..line.IndexOf(' ', StringComparison.Ordinal)];
                }
            }
        }
        return null;
    }

    private static bool IsHash(string s) => s.Length == 40 && s.All(Uri.IsHexDigit);
}
