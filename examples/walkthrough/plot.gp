# gnuplot -e "tsv='out/accuracy.tsv'; png='out/accuracy.png'" plot.gp
set terminal pngcairo size 720,440 noenhanced
set output png
set title "MNIST walkthrough: held-out pair accuracy per epoch"
set xlabel "epoch"
set ylabel "pair accuracy"
set yrange [0.4:1]
set key right center
set grid
plot for [c=2:4] tsv using 1:c with linespoints title columnheader(c)
