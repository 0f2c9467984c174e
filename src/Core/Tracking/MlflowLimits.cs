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

    /// <summary>True when MLflow accepts <paramref name="key"/> as a param, metric or tag name.</summary>
    public static bool IsValidKey(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength) return false;
        if (key.StartsWith('/') || key.EndsWith('/')) return false;
        foreach (char c in key)
        {
            if (!IsKeyChar(c)) return false;
        }
        return !key.Split('/').Any(s => s == ".." || s == "." || s.Length == 0);
    }

    /// <summary>A valid key made from <paramref name="key"/>: other characters become '_', the length is capped.</summary>
    public static string SanitizeKey(string key)
    {
        if (IsValidKey(key)) return key;
        var sb = new StringBuilder(key.Length);
        foreach (char c in key) sb.Append(IsKeyChar(c) ? c : '_');
        string s = string.Join("/", sb.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries).Select(p => p is ".." or "." ? "_" : p));
        if (s.Length > MaxKeyLength) s = s[..MaxKeyLength].TrimEnd('/');
        return s.Length == 0 ? "_" : s;
    }

    private static bool IsKeyChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.' or ' ' or '/' or ':';
}
