using System.Collections;
using System.Globalization;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;

namespace MnistCnn.Cmdlets;

/// <summary>Turns a -Tag hashtable into MLflow run tags, with a clear error for keys MLflow would refuse.</summary>
internal static class TagBinder
{
    public static IReadOnlyDictionary<string, string> Bind(Hashtable? tags)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (tags is null) return result;
        foreach (DictionaryEntry entry in tags)
        {
            string key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            if (TrackingSettings.TagKeyProblem(key) is { } problem)
            {
                throw new MnistCnnException(CmdletErrorIds.TagInvalid, ErrorKind.InvalidArgument, $"-Tag: {problem}. Rename the tag.", key);
            }
            object? value = entry.Value is System.Management.Automation.PSObject ps ? ps.BaseObject : entry.Value;
            if (value is null or IEnumerable and not string)
            {
                throw new MnistCnnException(CmdletErrorIds.TagInvalid, ErrorKind.InvalidArgument, $"-Tag: the value of '{key}' must be a single text or number.", key);
            }
            result[key] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        }
        return result;
    }
}
