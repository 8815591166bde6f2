"""The EXAMPLES section of each man page: (what it does, the command line).

Every page has at least one; tests/test_man.py parses each command line with
the real command, so an example that stops working fails the tests.
"""

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "sao": [
        ("See what an instruction will do, then do it:", 'sao plan "trim the first second, then add a small room reverb"'),
        ("", 'sao edit take.wav "trim the first second, then add a small room reverb" -o take-room.wav'),
        ("Options such as --quiet and --verbose go anywhere on the line:", 'sao edit take.wav "a tad quieter" -o quiet.wav -q'),
    ],
    "sao-edit": [
        ("Edit into a new file (a sidecar, take-quiet.wav.sao.json, records what was done):",
         'sao edit take.wav "a tad quieter" -o take-quiet.wav'),
        ("Show the plan and stop:", 'sao edit take.wav "high pass at 80 Hz and compress it" --dry-run'),
        ("Change the format while editing:", 'sao edit take.wav "make it louder" --bits 16 --sr 48000 -o take48.wav'),
        ("Pipes: read stdin, write WAV to stdout:", 'sao edit - "add reverb" -o out.wav < in.wav'),
        ("A neural edit, repeatable with its seed:", 'sao edit kitchen.wav "remove the dog barking" --seed 7 -o quiet-kitchen.wav'),
    ],
    "sao-chain": [
        ("Several steps, in order:", 'sao chain take.wav "trim the first second" "add a small room reverb" -o final.flac'),
        ("Steps from a file (one per line, # starts a comment), keeping each step's result:",
         "sao chain take.wav --file steps.txt -o final.wav --keep-intermediates"),
    ],
    "sao-batch": [
        ("A folder, mirrored into another, four files at a time:",
         'sao batch ./foley "normalize to -16 LUFS" -o ./foley-norm --recursive --jobs 4'),
        ("Resume an interrupted run, writing FLAC:",
         "sao batch './takes/**/*.wav' \"trim the silence\" -o ./trimmed --skip-existing --ext flac"),
        ("Machine 1 of 4:", 'sao batch ./huge "denoise" -o ./clean --shard 0/4'),
    ],
    "sao-plan": [
        ("A plan as a table, and as JSON:", 'sao plan "the last two seconds an octave up, then fade out over 1 s"'),
        ("", 'sao plan "make it sound like a telephone" --json'),
    ],
    "sao-info": [
        ("Duration, rate, channels, peak, true peak, RMS and loudness of two files:", "sao info take.wav take-quiet.wav"),
        ("As JSON:", "sao info take.wav --json"),
    ],
    "sao-ops": [
        ("Every operation, then one in full:", "sao ops"),
        ("", "sao ops reverb"),
    ],
    "sao-replay": [
        ("Re-render a result from its sidecar (the input must be unchanged):", "sao replay take-quiet.wav.sao.json -o again.wav"),
        ("From a moved input:", "sao replay take-quiet.wav.sao.json --input ./archive/take.wav -o again.wav"),
    ],
    "sao-show": [
        ("Before, after and their difference, as a PNG:", "sao show take.wav take-quiet.wav -o compare.png"),
        ("A text preview of a stretch, in the terminal:", "sao show take.wav --region 1.5-3 --text"),
    ],
    "sao-play": [
        ("Play two files, one after the other:", "sao play take.wav take-quiet.wav"),
        ("Switch between an original and its edit with the space bar:", "sao play take.wav take-quiet.wav --ab"),
    ],
    "sao-serve": [
        ("Keep one model loaded for every sao call, then ask how it is:", "sao serve --model ./my-model"),
        ("", "sao serve --status"),
    ],
    "sao-models": [
        ("What is on this machine, and fetching the model once:", "sao models list"),
        ("", "sao models pull sao-instruct"),
    ],
    "sao-models-list": [("Models on this machine, as JSON:", "sao models list --json")],
    "sao-models-pull": [("Fetch SAO-Instruct into the Hugging Face cache:", "sao models pull sao-instruct")],
    "sao-models-info": [("A model folder's config, every weight loaded to check it:", "sao models info ./my-model --check")],
    "sao-models-init-random": [("A tiny random model, for trying things out:", "sao models init-random ./tiny --size tiny")],
    "sao-gen-data": [
        ("Training triplets from real clips, shard 0 of 8:",
         "sao gen-data manual --clips ./clips --captions captions.csv --n 10000 -o ./ds --shard 0/8"),
    ],
    "sao-gen-data-manual": [
        ("The deterministic edits on real clips, shard 0 of 8:",
         "sao gen-data manual --clips ./clips --captions captions.csv --n 10000 -o ./ds --shard 0/8"),
    ],
    "sao-gen-data-p2p": [("Prompt-to-Prompt pairs from captions:", "sao gen-data p2p --captions pairs.csv --n 500 -o ./ds-p2p")],
    "sao-gen-data-inversion": [
        ("DDPM-inversion pairs from real clips:", "sao gen-data inversion --clips ./clips --captions captions.csv --n 500 -o ./ds-inv"),
    ],
    "sao-gen-data-merge": [("Join the shards of a run:", "sao gen-data merge ./ds-0 ./ds-1 ./ds-2 -o ./ds")],
    "sao-gen-data-split": [("Hold out 5% for validation:", "sao gen-data split ./ds --val 0.05")],
    "sao-train": [
        ("Fine-tune on two datasets, the second at half weight:",
         "sao train --data ./ds --data ./ds-p2p:0.5 --base stable-audio-open -o ./run --max-steps 20000"),
        ("Continue it:", "sao train --data ./ds -o ./run --resume"),
    ],
    "sao-train-export": [("The EMA weights as a model folder:", "sao train export ./run -o ./my-model --ema")],
    "sao-eval": [
        ("Score edits against references, with the inputs as a baseline:",
         "sao eval --ref ./target --pred ./pred --input ./input"),
    ],
    "sao-eval-suite": [
        ("The deterministic tasks on the DSP engine only:", "sao eval suite --engine dsp --per-task 3"),
        ("With a model, keeping the cases to listen to:", "sao eval suite --model ./my-model --keep ./suite"),
    ],
}
