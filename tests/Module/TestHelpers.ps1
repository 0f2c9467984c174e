# Dot-sourced by every *.Tests.ps1 (in BeforeDiscovery and BeforeAll): finds and imports the laid-out module.
$RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$ModulePath = if ($env:MNISTCNN_MODULE_PATH) { $env:MNISTCNN_MODULE_PATH } else { Join-Path $RepoRoot 'out/MnistCnn' }
if (-not (Test-Path (Join-Path $ModulePath 'MnistCnn.psd1'))) {
    throw "No built module at $ModulePath; run: dotnet pwsh ./build.ps1 Build"
}
Import-Module (Join-Path $ModulePath 'MnistCnn.psd1')
$MnistCnn = Get-Module MnistCnn

# A small MNIST-shaped dataset made here (no files): each image is a bright bar whose position encodes its label,
# so a model can learn it in a few steps.
function New-SyntheticDataset([int] $TrainCount = 200, [int] $TestCount = 50, [int] $Size = 28) {
    $make = {
        param([string] $Name, [int] $Count, [int] $Offset)
        $pixels = [byte[]]::new($Count * $Size * $Size)
        $labels = [byte[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) {
            $label = ($i + $Offset) % 10
            $labels[$i] = $label
            $row = 2 + [int][math]::Floor($label * ($Size - 4) / 10)
            for ($x = 2; $x -lt $Size - 2; $x++) { $pixels[($i * $Size * $Size) + ($row * $Size) + $x] = 255 }
        }
        [MnistCnn.Core.Data.DataSplit]::new($Name, $pixels, $labels, $Size, $Size, $null, $null)
    }
    [MnistCnn.Core.Data.MnistDataset]::new([MnistCnn.Core.Data.DatasetKind]::Mnist, (& $make 'train' $TrainCount 0),
        (& $make 'test' $TestCount 3), 'synthetic', $null)
}

function Get-MnistDirectory {
    foreach ($dir in @($env:MNIST_DATA_DIR, (Join-Path $RepoRoot '../shared/datasets/mnist'))) {
        if ($dir -and (Test-Path (Join-Path $dir 'train-images-idx3-ubyte.gz'))) { return (Resolve-Path $dir).Path }
    }
    $null
}

# An IDX file: big-endian magic and dimensions, then one byte per element.
function New-IdxBytes([int] $Magic, [int[]] $Dimensions, [byte[]] $Payload) {
    $bytes = [Collections.Generic.List[byte]]::new()
    foreach ($value in @($Magic) + $Dimensions) {
        $be = [BitConverter]::GetBytes([int] $value)
        if ([BitConverter]::IsLittleEndian) { [array]::Reverse($be) }
        $bytes.AddRange([byte[]] $be)
    }
    $bytes.AddRange($Payload)
    , $bytes.ToArray()
}

# The CPU backend in a backend cache (MNISTCNN_CACHE_DIR) as Install-CnnBackend leaves it (cpu-2.10.0 with the
# libraries, version.txt and backend.json), but made of symbolic links to the libtorch this module folder carries:
# Install-CnnBackend -Backend Cpu then finds it installed instead of unpacking the 450 MB package again (the module
# folder's own libtorch is the one a developer build loads anyway). Package.Tests.ps1 tests the real unpacking.
function Initialize-LinkedCpuBackend([Parameter(Mandatory)] [string] $CacheDirectory) {
    $version = [MnistCnn.Core.Backends.TorchBackend]::LibTorchVersion
    $folder = [MnistCnn.Core.Backends.TorchBackend]::InstallFolder((Join-Path $CacheDirectory 'libtorch'), 'Cpu')
    $null = New-Item -ItemType Directory -Force $folder
    $libraries = Get-ChildItem -File $ModulePath | Where-Object Name -Match '^(libtorch.*|libc10.*|libgomp.*|libshm)\.so'
    foreach ($library in $libraries) { $null = New-Item -ItemType SymbolicLink -Path (Join-Path $folder $library.Name) -Target $library.FullName }
    Set-Content -Path (Join-Path $folder 'version.txt') -Value $version
    [ordered]@{
        Backend = 'Cpu'; Version = $version
        Packages = @([ordered]@{ Id = 'libtorch-cpu-linux-x64'; Version = $version; Sha512 = ''; Source = "links to $ModulePath" })
        InstalledUtc = [DateTime]::UtcNow.ToString('o')
    } | ConvertTo-Json -Depth 4 | Set-Content -Path (Join-Path $folder ([MnistCnn.Core.Backends.BackendInstaller]::ManifestFile))
    if (-not [MnistCnn.Core.Backends.BackendInstaller]::ReadInstalled($folder)) { throw "The linked CPU backend in '$folder' is not one Install-CnnBackend recognises (did backend.json change?)." }
    $folder
}
