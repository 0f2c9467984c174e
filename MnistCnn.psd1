# Module manifest for MnistCnn. build.ps1 copies it into out/MnistCnn and stamps two fields there:
# ModuleVersion (from VersionPrefix in Directory.Build.props) and CmdletsToExport (the cmdlets the assembly defines);
# build.ps1 Package also stamps PrivateData.PSData.ProjectUri and LicenseUri into the packaged copy.
@{
    RootModule           = 'MnistCnn.Cmdlets.dll'
    # Core's types (layer specs, datasets, results) are usable in scripts as soon as the module is imported.
    RequiredAssemblies   = @('MnistCnn.Core.dll')
    ModuleVersion        = '0.0.0'
    GUID                 = '8e8f00f7-9b0d-40bd-9290-2e8a6c003504'
    Author               = 'MnistCnn contributors'
    Copyright            = '(c) MnistCnn contributors.'
    Description          = 'Train, evaluate and track convolutional neural networks on MNIST-style image data (TorchSharp / libtorch).'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('MnistCnn.format.ps1xml')
    CmdletsToExport      = @()
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            # PSEdition_Core and the platform the packaged native libraries are for (linux-x64).
            Tags         = @('MNIST', 'CNN', 'DeepLearning', 'TorchSharp', 'PSEdition_Core', 'Linux')
            # ProjectUri and LicenseUri are stamped by build.ps1 Package (-ProjectUri, or the git remote 'origin').
            ReleaseNotes = 'See the README (Get-Help about_MnistCnn) for what this version does; THIRD-PARTY-NOTICES.txt lists the components it ships.'
        }
    }
}
