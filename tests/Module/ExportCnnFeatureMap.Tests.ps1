# Export-CnnFeatureMap: the PNGs of what the convolution layers see for one image, from a picture file or a dataset
# image, with a model in the pipeline or a saved one; -WhatIf, the format view and its errors. (Sizes, that the
# maps change with the input and the run report's section are also checked in tests/Core.Tests/Reporting/FeatureMapsTests.cs.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $cmdlet = 'MnistCnn.Cmdlets.ExportCnnFeatureMapCommand'
    $data = New-SyntheticDataset -TrainCount 64 -TestCount 20
    $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -OutputPath (Join-Path $TestDrive 'run') -NoReport
    $pictures = $data | Export-MnistImage -Split Test -Index 0, 1 -Single -Path (Join-Path $TestDrive 'pictures')
    function Get-PngSize([string] $File) {
        $bitmap = [SkiaSharp.SKBitmap]::Decode($File)
        try { '{0}x{1}' -f $bitmap.Width, $bitmap.Height } finally { $bitmap.Dispose() }
    }
}

Describe 'Export-CnnFeatureMap' {
    It 'writes the input, each convolution''s maps and the first filters for a dataset image' {
        $out = Join-Path $TestDrive 'maps'
        $images = @($run | Export-CnnFeatureMap -Dataset $data -Index 0 -OutputPath $out)
        $images | Should -HaveCount 5
        $images[0] | Should -BeOfType MnistCnn.Core.Reporting.FeatureMapImage
        @($images | ForEach-Object { '{0}:{1}:{2}:{3}x{4}' -f $_.Layer, $_.Kind, $_.Maps, $_.MapHeight, $_.MapWidth }) |
            Should -Be @('input:Input:1:28x28', 'conv2d:Activations:32:26x26', 'conv2d_1:Activations:64:11x11', 'conv2d_2:Activations:64:3x3', 'conv2d:Filters:32:3x3')
        foreach ($image in $images) {
            $image.Path | Should -Exist
            Get-PngSize $image.Path | Should -Be ('{0}x{1}' -f $image.Width, $image.Height)
        }
        @(Get-ChildItem $out -Name | Sort-Object -Culture ([cultureinfo]::InvariantCulture)) | Should -Be @($images.Path | Split-Path -Leaf | Sort-Object -Culture ([cultureinfo]::InvariantCulture))
        @($images.Path | Split-Path -Leaf) | Should -Be @('features-input.png', 'features-conv2d.png', 'features-conv2d_1.png', 'features-conv2d_2.png', 'filters-conv2d.png')
    }

    It 'draws different maps for different pictures, from a saved model' {
        $a = @(Export-CnnFeatureMap -ModelPath (Join-Path $TestDrive 'run') -ImagePath $pictures[0].FullName -OutputPath (Join-Path $TestDrive 'a'))
        $b = @(Export-CnnFeatureMap -ModelPath (Join-Path $TestDrive 'run') -ImagePath $pictures[1].FullName -OutputPath (Join-Path $TestDrive 'b'))
        (Get-FileHash $a[1].Path).Hash | Should -Not -Be (Get-FileHash $b[1].Path).Hash
        (Get-FileHash $a[4].Path).Hash | Should -Be (Get-FileHash $b[4].Path).Hash
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path $TestDrive 'whatif'
        $run | Export-CnnFeatureMap -Dataset $data -OutputPath $out -WhatIf
        $out | Should -Not -Exist
    }

    It 'shows pictures as Layer, Kind, Maps, MapSize, Pixels, Path' {
        $text = ($run | Export-CnnFeatureMap -Dataset $data -OutputPath (Join-Path $TestDrive 'view') | Format-Table | Out-String -Width 250) -replace '\x1b\[[0-9;]*m', ''
        $text | Should -Match 'Layer\s+Kind\s+Maps\s+MapSize\s+Pixels\s+Path'
        $text | Should -Match 'conv2d_1\s+Activations\s+64\s+11x11\s+\d+x\d+\s+\S+features-conv2d_1\.png'
    }

    It 'says what is wrong: <Id>' -ForEach @(
        @{ Id = 'ModelRequired'; Call = { Export-CnnFeatureMap -Dataset $data -OutputPath (Join-Path $TestDrive 'e1') -ErrorAction Stop } }
        @{ Id = 'IndexOutOfRange'; Call = { $run | Export-CnnFeatureMap -Dataset $data -Index 20 -OutputPath (Join-Path $TestDrive 'e2') -ErrorAction Stop } }
        @{ Id = 'ImageFileMissing'; Call = { $run | Export-CnnFeatureMap -ImagePath (Join-Path $TestDrive 'none.png') -OutputPath (Join-Path $TestDrive 'e3') -ErrorAction Stop } }
        @{ Id = 'ModelHasNoConvolution'; Call = {
            $flat = $data | New-CnnModel -Layers (New-CnnLayer Flatten), (New-CnnLayer Dense -Units 10 -Activation softmax) -Name flat |
                Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -NoReport
            $flat | Export-CnnFeatureMap -Dataset $data -OutputPath (Join-Path $TestDrive 'e4') -ErrorAction Stop } }
    ) {
        $Call | Should -Throw -ErrorId "$Id,$cmdlet"
    }
}
