# A training process for the integration tests: trains a tiny model on synthetic data in -Folder, or resumes it.
param(
    [Parameter(Mandatory)] [string] $Folder,
    [int] $Epochs = 200,
    [int] $TrainCount = 256,
    [switch] $Resume
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
# A terminating error ends the process with its id and message on one line of stderr (the tests read it).
trap { [Console]::Error.WriteLine("$($_.FullyQualifiedErrorId): $($_.Exception.Message)"); exit 1 }
. (Join-Path $PSScriptRoot '../TestHelpers.ps1')
$data = New-SyntheticDataset -TrainCount $TrainCount -TestCount 32
if ($Resume) {
    $run = Start-CnnTraining -Dataset $data -ResumeFrom $Folder -Threads 1 -NoReport
}
else {
    $layers = @(
        New-CnnLayer Conv2D -Filters 4 -KernelSize 3
        New-CnnLayer MaxPool2D -PoolSize 2
        New-CnnLayer Flatten
        New-CnnLayer Dense -Units 10 -Activation softmax
    )
    $run = $data | New-CnnModel -Layers $layers -Name tiny | Start-CnnTraining -Epochs $Epochs -BatchSize 32 -Seed 3 -Threads 1 -OutputPath $Folder -NoReport
}
"status=$($run.Status) epochs=$($run.Epochs.Count)"
