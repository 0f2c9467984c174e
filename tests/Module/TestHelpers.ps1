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
