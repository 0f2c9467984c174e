using System.Text;

namespace MnistCnn.Core.Tracking;

/// <summary>
/// MLflow's limits (2.x): key names, value lengths and runs/log-batch sizes. Values are checked before they are
/// sent, so nothing is cut or rejected by the server without the user being told.
/// </summary>
public static class MlflowLimits
{
    public const int MaxKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxTagValueLength = 8000;
    public const int MaxBatchMetrics = 1000;
    public const int MaxBatchParams = 100;
    public const int MaxBatchTags = 100;
    public const int MaxBatchItems = 1000;
    /// <summary>Our cap on one log-batch body: under the server's 1 MB with room for the envelope.</summary>
    public const int MaxBatchBytes = 900_000;

    /// <summary>True when MLflow accepts <paramref name="key"/> as a param, metric or tag name (<see cref="KeyProblem"/> is null).</summary>
    public static bool IsValidKey(string key) => KeyProblem(key) is null;

    /// <summary>
    /// Why an MLflow 2.x server on Linux would refuse <paramref name="key"/> as a param, metric or tag name, or null when
    /// it accepts it. The server's rule (mlflow/utils/validation.py): the key matches <c>^[/\w.\- :]*$</c> (Python's
    /// <c>\w</c>: Unicode letters and digits and '_', so 'équipe' is fine), is at most 250 characters, and is its own
    /// POSIX-normalised path (no '//', '/./', '..' segments, leading '/' or '..', or trailing '/'). The one rule for
    /// -Tag, a spec's tracking.tags and every logged key.
    /// </summary>
    public static string? KeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Trim().Length == 0) return "a key must not be empty";
        if (key.Length > MaxKeyLength)
        {
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"key '{key[..40]}...' is {key.Length} characters long; MLflow allows {MaxKeyLength}");
        }
        foreach (char c in key)
        {
            if (!IsKeyChar(c))
            {
                return $"key '{key}' contains '{c}'; MLflow allows letters, digits, '_', '-', '.', ' ', ':' and '/'";
            }
        }
        string normalised = PosixNormalise(key);
        if (normalised != key || normalised == "." || normalised.StartsWith("..", StringComparison.Ordinal) || normalised.StartsWith('/'))
        {
            return $"key '{key}' is not a normalised relative path (MLflow would read it as '{normalised}'): no leading '/' or '..', no trailing '/', no empty, '.' or '..' segments";
        }
        return null;
    }

    /// <summary>Python's posixpath.normpath, which the server applies to keys.</summary>
    internal static string PosixNormalise(string path)
    {
        if (path.Length == 0) return ".";
        int leading = path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("///", StringComparison.Ordinal) ? 2 : path.StartsWith('/') ? 1 : 0;
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part != ".." || (leading == 0 && parts.Count == 0) || (parts.Count > 0 && parts[^1] == ".."))
            {
                parts.Add(part);
            }
            else if (parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
            }
        }
        string joined = new string('/', leading) + string.Join('/', parts);
        return joined.Length == 0 ? "." : joined;
    }

    /// <summary>A valid key made from <paramref name="key"/>: other characters become '_', the length is capped.</summary>
    public static string SanitizeKey(string key)
    {
        if (IsValidKey(key)) return key;
        var sb = new StringBuilder(key.Length);
        foreach (char c in key) sb.Append(IsKeyChar(c) ? c : '_');
        string s = string.Join("/", sb.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries).Select(p => p is ".." or "." ? "_" : p));
        if (s.Length > MaxKeyLength) s = s[..MaxKeyLength].TrimEnd('/');
        if (s.StartsWith("..", StringComparison.Ordinal)) s = "_" + s.TrimStart('.');
        return s.Length == 0 ? "_" : s;
    }

    // Python's \w on str: Unicode letters and numbers, and '_'.
    private static bool IsKeyChar(char c) => char.IsLetter(c) || char.IsNumber(c) || c is '_' or '-' or '.' or ' ' or '/' or ':';
}
