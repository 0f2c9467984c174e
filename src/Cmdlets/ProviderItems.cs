using System.Collections.ObjectModel;
using System.Management.Automation;
using MnistCnn.Core.Data;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Files through PowerShell's providers. Writes files and folders the way Get-Item does: through the FileSystem provider, so they carry PSPath,
/// PSParentPath and the rest, and PowerShell's own file view (grouped by "Directory:", with mode, time and size)
/// shows them. A bare FileInfo shows blank columns and no folder.
/// </summary>
internal static class ProviderItems
{
    public static void WriteItem(this PSCmdlet cmdlet, string path)
    {
        ArgumentNullException.ThrowIfNull(cmdlet);
        var items = cmdlet.SessionState.InvokeProvider.Item.Get([path], force: true, literalPath: true);
        cmdlet.WriteObject(items, enumerateCollection: true);
    }

    /// <summary>The files one -Path pattern of Invoke-CnnPredict names; a pattern that matches nothing is a non-terminating ImageFileMissing.</summary>
    public static IReadOnlyList<string> ResolveImagePattern(this PSCmdlet cmdlet, string pattern)
    {
        ArgumentNullException.ThrowIfNull(cmdlet);
        Collection<string> resolved;
        try
        {
            resolved = cmdlet.GetResolvedProviderPathFromPSPath(pattern, out _);
        }
        catch (ItemNotFoundException ex)
        {
            cmdlet.WriteError(ErrorRecords.Create(DataErrorIds.ImageFileMissing, ErrorCategory.ObjectNotFound, $"'{pattern}' does not exist.", pattern, ex));
            return [];
        }
        if (resolved.Count == 0)
        {
            cmdlet.WriteError(ErrorRecords.Create(DataErrorIds.ImageFileMissing, ErrorCategory.ObjectNotFound, $"No file matches '{pattern}'.", pattern));
        }
        return resolved;
    }
}
