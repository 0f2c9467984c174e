# A plain training script, as a user or a scheduler's job writes one: no $ErrorActionPreference, no trap, and more
# work after the training. A signal that stops the training must end the script (tests/Module/Integration/RunFolder.Tests.ps1).
param([Parameter(Mandatory)] [string] $Folder)
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot '../TestHelpers.ps1')
$data = New-SyntheticDataset -TrainCount 256 -TestCount 32
$layers = @(New-CnnLayer Conv2D -Filters 4 -KernelSize 3; New-CnnLayer Flatten; New-CnnLayer Dense -Units 10 -Activation softmax)
try {
    $data | New-CnnModel -Layers $layers -Name tiny | Start-CnnTraining -Epochs 100000 -BatchSize 32 -Seed 3 -Threads 1 -OutputPath $Folder -NoReport
    Set-Content -LiteralPath (Join-Path $Folder 'next-statement-ran') -Value 'yes'
}
finally {
    Set-Content -LiteralPath (Join-Path $Folder 'finally-ran') -Value 'yes'
}
Set-Content -LiteralPath (Join-Path $Folder 'script-went-on') -Value 'yes'
