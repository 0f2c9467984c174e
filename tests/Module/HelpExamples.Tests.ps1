# Every help example runs as written, except those that say they need an MLflow server. Each cmdlet's examples run
# in order in one fresh runspace (so an example may use what an earlier one made), in a folder holding what the
# examples refer to: MNIST (a small made-up set in the real IDX format, through MNIST_DATA_DIR), ./data/mnist,
# ./experiments, ./digits, ./seven.png, ./my-digits (class folders), a backend cache of its own (MNISTCNN_CACHE_DIR),
# my-run.yaml, a run folder ./runs/tutorial and a saved model ./models/tutorial.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $Commands = @($MnistCnn.ExportedCmdlets.Values | Sort-Object Name | ForEach-Object {
        $examples = @((Get-Help $_.Name -Full).examples.example | Where-Object { $_ } | ForEach-Object {
            @{ Title = $_.title.Trim('- '); Code = $_.code } })
        @{ Name = $_.Name; Examples = $examples }
    })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $saved = @{ MNIST_DATA_DIR = $env:MNIST_DATA_DIR; FASHION_MNIST_DATA_DIR = $env:FASHION_MNIST_DATA_DIR; MNISTCNN_RUNS_DIR = $env:MNISTCNN_RUNS_DIR; MNISTCNN_CACHE_DIR = $env:MNISTCNN_CACHE_DIR }
    $template = Join-Path $TestDrive 'template'

    # MNIST-format files: each image a bright bar whose row encodes its label (learnable in an epoch or two).
    function Write-SyntheticIdx([string] $Folder, [string] $Prefix, [int] $Count, [int] $Offset) {
        $pixels = [byte[]]::new($Count * 784); $labels = [byte[]]::new($Count)
        for ($i = 0; $i -lt $Count; $i++) {
            $label = ($i + $Offset) % 10; $labels[$i] = $label; $row = 2 + [int][math]::Floor($label * 24 / 10)
            for ($x = 2; $x -lt 26; $x++) { $pixels[($i * 784) + ($row * 28) + $x] = 255 }
        }
        [IO.File]::WriteAllBytes((Join-Path $Folder "$Prefix-images-idx3-ubyte"), (New-IdxBytes 2051 @($Count, 28, 28) $pixels))
        [IO.File]::WriteAllBytes((Join-Path $Folder "$Prefix-labels-idx1-ubyte"), (New-IdxBytes 2049 @($Count) $labels))
    }
    $data = New-Item -ItemType Directory -Force (Join-Path $template 'data/mnist')
    Write-SyntheticIdx $data 'train' 256 0
    Write-SyntheticIdx $data 't10k' 64 3
    $env:MNIST_DATA_DIR = $data.FullName
    $env:FASHION_MNIST_DATA_DIR = $data.FullName
    $env:MNISTCNN_RUNS_DIR = $null
    # Install-CnnBackend's examples fill a backend cache of their own, never the user's. It starts with the CPU backend
    # linked to this module's own libtorch, so 'Install-CnnBackend -Backend Cpu' finds it there instead of unpacking
    # 450 MB on every run (Package.Tests.ps1 tests the unpacking).
    $env:MNISTCNN_CACHE_DIR = Join-Path $TestDrive 'cache'
    $LinkedCpuBackend = Initialize-LinkedCpuBackend $env:MNISTCNN_CACHE_DIR

    $null = New-Item -ItemType Directory -Force (Join-Path $template 'experiments'), (Join-Path $template 'digits')
    Copy-Item (Join-Path $RepoRoot 'experiments/*.yaml'), (Join-Path $RepoRoot 'experiments/*.json') (Join-Path $template 'experiments')
    Copy-Item (Join-Path $RepoRoot 'examples/digits/*.png') (Join-Path $template 'digits')
    Copy-Item (Join-Path $RepoRoot 'examples/digits/digit-7.png') (Join-Path $template 'seven.png')
    "extends: experiments/keras-seed.yaml`nname: my-run`ntraining:`n  epochs: 1`n" | Set-Content (Join-Path $template 'my-run.yaml')
    # A folder of your own pictures, one sub-folder per class (Import-MnistData -Path ./my-digits).
    foreach ($digit in 0..9) {
        $class = New-Item -ItemType Directory -Force (Join-Path $template "my-digits/$digit")
        foreach ($copy in 1..5) { Copy-Item (Join-Path $RepoRoot "examples/digits/digit-$digit.png") (Join-Path $class "$copy.png") }
    }
    $run = Import-MnistData | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -NoReport -OutputPath (Join-Path $template 'runs/tutorial')
    $run | Save-CnnModel (Join-Path $template 'models/tutorial')
    $run.TrainedModel.Dispose()
}

AfterAll {
    foreach ($name in $saved.Keys) { Set-Item "env:$name" $saved[$name] -ErrorAction Ignore; if ($null -eq $saved[$name]) { Remove-Item "env:$name" -ErrorAction Ignore } }
}

Describe 'Help examples of <Name>' -ForEach $Commands {
    BeforeAll {
        $sandbox = Join-Path $TestDrive "examples of $Name"
        Copy-Item -Recurse $template $sandbox
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($Module, $Folder)
            Import-Module $Module
            Set-Location -LiteralPath $Folder
            $ProgressPreference = 'SilentlyContinue'
        }).AddArgument((Join-Path $ModulePath 'MnistCnn.psd1')).AddArgument($sandbox).Invoke()
    }
    AfterAll { $ps.Dispose() }

    It '<Title>' -ForEach $Examples {
        if ($Title -match 'needs an MLflow server') { Set-ItResult -Skipped -Because 'it needs an MLflow server'; return }
        # The scheduler example says it runs "in a Slurm array task": give it that task's index.
        if ($Code -match '-UseSchedulerIndex') { $env:SLURM_ARRAY_TASK_ID = '1' }
        try {
            $ps.Commands.Clear()
            $ps.Streams.ClearStreams()
            $null = $ps.AddScript($Code).AddCommand('Out-String').Invoke()
            $errors = @($ps.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
        }
        finally { Remove-Item env:SLURM_ARRAY_TASK_ID -ErrorAction Ignore }
        $errors | Should -BeNullOrEmpty -Because "the example should run as written:`n$Code"
        $ps.HadErrors | Should -BeFalse
    }
}

Describe 'The backend cache of the Install-CnnBackend examples' {
    It 'still holds the linked CPU backend: the examples unpacked nothing' {
        # A regular file here would mean Install-CnnBackend -Backend Cpu unpacked its 450 MB over the links.
        (Get-Item (Join-Path $LinkedCpuBackend 'libtorch_cpu.so')).LinkType | Should -Be 'SymbolicLink'
        @(Get-ChildItem -Directory -Force (Join-Path $env:MNISTCNN_CACHE_DIR 'libtorch') | Where-Object Name -Like '.staging-*').Count | Should -Be 0
    }
}
