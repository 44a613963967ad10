print('beanstalk')
