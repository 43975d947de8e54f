module example.com/bad

retract v1.0.0 v1.0.1
