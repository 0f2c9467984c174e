using System.Management.Automation;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Writes files and folders the way Get-Item does: through the FileSystem provider, so they carry PSPath,
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
}
