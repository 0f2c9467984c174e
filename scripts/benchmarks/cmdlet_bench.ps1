#!/usr/bin/env pwsh
# The cmdlet path of the speed benchmark (docs/performance.md): the tutorial model trained through the module's
# cmdlets, printing the same "RESULT {json}" line as the bare loop and the PyTorch script. Started by
# `MnistCnn.Bench compare`; takes the bench's --name value options. With --spec FILE (`MnistCnn.Bench fast`) it runs
# that experiment spec with Invoke-CnnExperiment instead, exactly as written except --seed and, when given, --threads.
$ErrorActionPreference = 'Stop'
$opts = @{ 'threads' = [Environment]::ProcessorCount; 'batch-size' = 64; 'train-size' = 60000; 'epochs' = 1; 'seed' = 1; 'device' = 'cpu'; 'label' = 'cmdlet' }
for ($i = 0; $i -lt $args.Count; $i++) {
    if ($args[$i] -like '--*') {
        $name = $args[$i].Substring(2)
        if ($i + 1 -lt $args.Count -and $args[$i + 1] -notlike '--*') { $opts[$name] = $args[$i + 1]; $i++ } else { $opts[$name] = $true }
    }
}
if ($opts.ContainsKey('batches')) {
    # The cmdlets train whole epochs: fixed-batch mode becomes one epoch over that many batches of images.
    $opts['train-size'] = [int]$opts['batches'] * [int]$opts['batch-size']
}

$repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$module = $opts['module']
if (-not $module) {
    $candidates = @(
        (Join-Path $repo 'out/MnistCnn/MnistCnn.psd1'),
        (Join-Path $repo 'src/Cmdlets/bin/Release/net10.0/linux-x64/MnistCnn.Cmdlets.dll'),
        (Join-Path $repo 'src/Cmdlets/bin/Debug/net10.0/linux-x64/MnistCnn.Cmdlets.dll'))
    $module = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $module) { throw "MnistCnn module not found: build it (dotnet pwsh ./build.ps1 Build) or pass --module <psd1 or dll>." }
Import-Module $module

function Get-PeakRssMiB { ((Get-Content /proc/self/status | Where-Object { $_ -like 'VmHWM:*' }) -split '\s+')[1] / 1024.0 }

if ($opts['spec']) {
    # The spec as a user runs it; a spec beside it extends it with the seed and a throw-away outputs root.
    $specPath = (Resolve-Path $opts['spec']).Path
    $work = Join-Path ([IO.Path]::GetTempPath()) ("mnistcnn-bench-" + [Guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    try {
        $bench = Join-Path $work 'bench.yaml'
        $quote = { param($text) "'" + ($text -replace "'", "''") + "'" }
        @("extends: $(& $quote $specPath)", 'training:', "  seed: $([int]$opts['seed'])", 'outputs:', "  root: $(& $quote (Join-Path $work 'runs'))") |
            Set-Content -Path $bench -Encoding utf8
        $threadArgs = @{}
        if ($opts.ContainsKey('spec-threads')) { $threadArgs.Threads = [int]$opts['spec-threads'] }
        $cpu0 = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $trial = Invoke-CnnExperiment -Path $bench @threadArgs -Confirm:$false -InformationAction SilentlyContinue -ProgressAction SilentlyContinue
        $total = $watch.Elapsed.TotalSeconds
        $cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0
        if ($trial.Status -ne 'Finished') { throw "The trial ended $($trial.Status): $($trial.Error)" }
        $started = [Diagnostics.Process]::GetCurrentProcess().StartTime
        $result = [ordered]@{
            impl = $opts['label']; spec = $specPath; seed = [int]$opts['seed']; device = $trial.Device
            threads = if ($threadArgs.Threads) { $threadArgs.Threads } else { 'spec' }
            epochs = $trial.EpochsCompleted; testAccuracy = $trial.TestAccuracy; trainSeconds = $trial.TrainSeconds
            # Invoke-CnnExperiment from call to return (loading the data, training, evaluation, run folder, pictures).
            experimentSeconds = $total; experimentCpuSeconds = $cpu
            peakRssMiB = Get-PeakRssMiB; startToResultSeconds = ((Get-Date) - $started).TotalSeconds
        }
        'RESULT ' + ($result | ConvertTo-Json -Compress)
    } finally {
        Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    }
    return
}

$dataArgs = @{ TrainCount = [int]$opts['train-size'] }
if ($opts['data']) { $dataArgs.Path = $opts['data'] } elseif ($env:MNIST_DATA_DIR) { $dataArgs.Path = $env:MNIST_DATA_DIR }
$loadWatch = [Diagnostics.Stopwatch]::StartNew()
$data = Import-MnistData @dataArgs
$loadSeconds = $loadWatch.Elapsed.TotalSeconds
$out = Join-Path ([IO.Path]::GetTempPath()) ("mnistcnn-bench-" + [Guid]::NewGuid().ToString('N'))
$cpu0 = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds
$watch = [Diagnostics.Stopwatch]::StartNew()
try {
    $run = $data | New-CnnModel | Start-CnnTraining -Epochs ([int]$opts['epochs']) -BatchSize ([int]$opts['batch-size']) `
        -Threads ([int]$opts['threads']) -Seed ([int]$opts['seed']) -Device $opts['device'] -OutputPath $out -NoReport `
        -Confirm:$false -InformationAction SilentlyContinue -ProgressAction SilentlyContinue
} finally {
    Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue
}
$total = $watch.Elapsed.TotalSeconds
$cpu = [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds - $cpu0
$trainSeconds = ($run.Epochs | Measure-Object -Property Seconds -Sum).Sum
$images = [long]$run.Epochs.Count * [long]$data.Train.Count
$started = [Diagnostics.Process]::GetCurrentProcess().StartTime
$result = [ordered]@{
    impl = $opts['label']; model = 'keras-seed'; device = $run.Device; threads = [int]$opts['threads']
    batchSize = [int]$opts['batch-size']; trainSize = $data.Train.Count; images = $images
    trainSeconds = $trainSeconds; imagesPerSec = $images / $trainSeconds
    cpuUtilisation = $cpu / $total; imagesPerCpuSec = $images / ($cpu * $trainSeconds / $total)
    epochSeconds = @($run.Epochs | ForEach-Object Seconds); meanLoss = $run.Epochs[-1].Loss
    loadSeconds = $loadSeconds; testAccuracy = $run.TestAccuracy
    # Everything after the epochs: test evaluation, saving the model, result.json.
    evalSeconds = $total - $trainSeconds
    peakRssMiB = Get-PeakRssMiB; startToResultSeconds = ((Get-Date) - $started).TotalSeconds
}
'RESULT ' + ($result | ConvertTo-Json -Compress)
